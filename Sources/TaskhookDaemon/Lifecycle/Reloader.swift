import Logging

/// SIGHUP: reads the configuration, secrets and keys again, swaps in the new routes and the
/// admin listener's token, and reads the unparsed callbacks again with the new routes. A bad
/// new configuration is logged with its reason and the running one kept. Listeners, the
/// journal and limits stay as they are (they need a restart; a change to them is logged).
final class Reloader {
    private let running: DaemonConfiguration
    private let read: () throws -> DaemonConfiguration
    private let loader: RouteLoader
    private let routes: PublicRoutes
    private let admin: BearerTokenGate?
    private let heartbeat: ServiceHeartbeat
    private let logger: Logger
    /// Reads the unparsed callbacks again with the new routes.
    private let reread: () -> Void

    init(
        running: DaemonConfiguration, read: @escaping () throws -> DaemonConfiguration, loader: RouteLoader,
        routes: PublicRoutes, admin: BearerTokenGate?, heartbeat: ServiceHeartbeat, logger: Logger,
        reread: @escaping () -> Void = {}
    ) {
        self.admin = admin
        self.reread = reread
        self.running = running
        self.read = read
        self.loader = loader
        self.routes = routes
        self.heartbeat = heartbeat
        self.logger = logger
    }

    func reload() {
        heartbeat.reloading()
        defer { heartbeat.reloaded() }
        let next: DaemonConfiguration
        let built: [WebhookRoute]
        let adminToken: String?
        do {
            next = try read()
            built = try loader.routes(next)
            adminToken = try loader.adminToken(next.control)
        } catch {
            logger.error("reload rejected; the running configuration stays", metadata: ["reason": "\(error)"])
            return
        }
        for warning in next.warnings { logger.warning("\(warning)") }
        if Self.needsRestart(from: running, to: next) {
            logger.warning("reload: listen, journal, control and limits changes take effect at the next restart")
        }
        routes.replaceRoutes(built)
        routes.trustedProxies = next.trustedProxies
        // The listener itself stays until a restart; its token follows the credential now.
        if let admin, let adminToken { admin.replaceToken(adminToken) }
        logger.info("reloaded", metadata: ["routes": "\(built.count)"])
        reread()
    }

    /// Whether `next` changes what only a restart applies: listeners, the journal, the control
    /// socket, the server's settings (every limit, connection budget and body memory), the drain
    /// and long-iteration times.
    static func needsRestart(from running: DaemonConfiguration, to next: DaemonConfiguration) -> Bool {
        next.listen != running.listen || next.journal != running.journal || next.control != running.control
            || next.server != running.server || next.drainTimeout != running.drainTimeout
            || next.longIteration != running.longIteration
    }
}
