import Logging
import TaskhookCore
import TaskhookProviders

/// Builds a ready route from its configuration: reads its secrets, parses its keys, picks its
/// verifier and normalizer. Done at start and on reload, so a bad key fails there, not later.
enum RouteFactory {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static func build(_ route: RouteConfiguration, secrets: SecretReader, logger: Logger = Logger(label: "taskhookd"))
        throws(Failure) -> WebhookRoute
    {
        func read(_ source: SecretSource, _ what: String) throws(Failure) -> String {
            do {
                return try secrets.read(source)
            } catch {
                throw Failure(description: "route \(route.path): \(what): \(error)")
            }
        }
        func configured<T>(_ what: String, _ body: () throws(ProviderConfigurationError) -> T) throws(Failure) -> T {
            do {
                return try body()
            } catch {
                throw Failure(description: "route \(route.path): \(what): \(error)")
            }
        }

        let tolerance = Int64(route.tolerance.components.seconds)
        var verifier: SignatureVerifier?
        switch route.provider {
        case .freepik:
            if let source = route.secret {
                let secret = try read(source, "secret")
                verifier = try configured("secret") { () throws(ProviderConfigurationError) in
                    try FreepikVerifier(secrets: [secret], keyMode: route.keyMode, toleranceSeconds: tolerance)
                }
            }
        case .replicate:
            if let source = route.secret {
                let secret = try read(source, "secret")
                verifier = try configured("secret") { () throws(ProviderConfigurationError) in
                    try StandardWebhooksVerifier(secrets: [secret], toleranceSeconds: tolerance)
                }
            }
        case .standardWebhooks:
            var keys: [StandardWebhooksKey] = []
            for (source, what) in [(route.secret, "secret"), (route.publicKey, "public-key")] {
                guard let source else { continue }
                let text = try read(source, what)
                keys.append(
                    try configured(what) { () throws(ProviderConfigurationError) in
                        try StandardWebhooksKey(parsing: text)
                    })
            }
            if !keys.isEmpty { verifier = StandardWebhooksVerifier(keys: keys, toleranceSeconds: tolerance) }
        case .fal:
            if let path = route.jwks {
                do {
                    verifier = try ReloadingJWKSVerifier(path: path, toleranceSeconds: tolerance, logger: logger)
                } catch {
                    throw Failure(description: "route \(route.path): \(error)")
                }
            }
        case .kling:
            break  // Kling signs nothing; its route's path token is the check
        }

        var token: [UInt8]?
        if let source = route.token {
            let text = try read(source, "token")
            guard text.utf8.count >= 16, !text.contains("/"), !text.contains("?") else {
                throw Failure(description: "route \(route.path): token: needs at least 16 characters and no '/' or '?'")
            }
            token = Array(text.utf8)
        }
        if verifier == nil, token == nil, !route.allowUnsigned {
            throw Failure(
                description: "route \(route.path): no way to verify callbacks; add a secret or set allow-unsigned: true"
            )
        }

        let normalizer: PayloadNormalizer
        switch route.provider {
        case .freepik: normalizer = FreepikNormalizer()
        case .fal: normalizer = FalNormalizer()
        case .kling: normalizer = KlingNormalizer()
        case .replicate: normalizer = ReplicateNormalizer()
        case .standardWebhooks:
            guard let mapping = route.mapping else {
                throw Failure(description: "route \(route.path): no task-id/status mapping")
            }
            normalizer = try configured("mapping") { () throws(ProviderConfigurationError) in
                var statusMap: [String: TaskStatus] = [:]
                for (word, status) in mapping.statusMap { statusMap[word] = TaskStatus(rawValue: status) }
                return GenericNormalizer(
                    provider: route.name, taskID: try JSONPointer(mapping.taskID),
                    status: try JSONPointer(mapping.status),
                    results: try mapping.results.map { text throws(ProviderConfigurationError) in try JSONPointer(text)
                    },
                    error: try mapping.error.map { text throws(ProviderConfigurationError) in try JSONPointer(text) },
                    statusMap: statusMap)
            }
        }
        let provider = route.provider
        return WebhookRoute(
            configuration: route, token: token, verifier: verifier, normalizer: normalizer,
            deliveryID: { DeliveryID.of($0, provider: provider) })
    }
}
