import Logging

/// Reads what the configuration names but does not hold: the routes' secrets and keys, and the
/// admin listener's token. The same code runs at start, on reload and for --check-config, so a
/// configuration that checks clean starts clean.
struct RouteLoader {
    let environment: [String: String]
    let logger: Logger

    /// The webhook routes, their secrets and keys read and parsed.
    func routes(_ configuration: DaemonConfiguration) throws(Daemon.StartError) -> [WebhookRoute] {
        do {
            return try configuration.routes.map { route throws(RouteFactory.Failure) in
                try RouteFactory.build(route, secrets: SecretReader(environment: environment), logger: logger)
            }
        } catch {
            throw .route(error.description)
        }
    }

    /// The admin listener's bearer token, if it has one.
    func adminToken(_ control: ControlConfiguration) throws(Daemon.StartError) -> String? {
        guard let admin = control.admin else { return nil }
        do {
            return try SecretReader(environment: environment).read(admin.token)
        } catch {
            throw .route("control.admin.token: \(error)")
        }
    }
}
