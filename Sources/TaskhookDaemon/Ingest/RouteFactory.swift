import Logging
import TaskhookCore
import TaskhookProviders

/// Builds a ready route from its configuration: reads its secrets, and has its provider's profile
/// build the verifier. Done at start and on reload, so a bad key fails there, not later.
enum RouteFactory {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static func build(_ route: RouteConfiguration, secrets: SecretReader, logger: Logger = Logger(label: "taskhookd"))
        throws(Failure) -> WebhookRoute
    {
        func failure(_ reason: String) -> Failure { Failure(description: "route \(route.path): \(reason)") }
        if let reason = route.unverifiedReason { throw Failure(description: reason) }
        let verifier: (any SignatureVerifier)?
        do {
            verifier = try route.profile.verifier(
                keys: RouteKeys(secrets: secrets, logger: logger),
                toleranceSeconds: Int64(route.tolerance.components.seconds))
        } catch {
            throw failure(error.reason)
        }
        var token: [UInt8]?
        if let source = route.token {
            let text: String
            do {
                text = try secrets.read(source)
            } catch {
                throw failure("token: \(error)")
            }
            guard text.utf8.count >= 16, !text.contains("/"), !text.contains("?") else {
                throw failure("token: needs at least 16 characters and no '/' or '?'")
            }
            token = Array(text.utf8)
        }
        return WebhookRoute(configuration: route, token: token, verifier: verifier)
    }
}

/// How a route's keys are read in the daemon: secrets from where the configuration says, key files
/// watched for replacement.
struct RouteKeys: KeyLoader {
    let secrets: SecretReader
    let logger: Logger

    func text(of source: SecretSource, for key: String) throws(ProviderConfigurationError) -> String {
        do {
            return try secrets.read(source)
        } catch {
            throw ProviderConfigurationError("\(key): \(error)")
        }
    }

    func verifier(
        reloading path: String, key: String, label: String,
        build:
            @escaping @Sendable ([UInt8]) throws(ProviderConfigurationError) -> (any SignatureVerifier, keyCount: Int)
    ) throws(ProviderConfigurationError) -> any SignatureVerifier {
        try ReloadingVerifier(path: path, key: key, label: label, logger: logger, build: build)
    }
}
