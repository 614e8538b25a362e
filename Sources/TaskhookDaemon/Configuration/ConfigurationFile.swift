import TaskhookJournal
import TaskhookPosix
import Yams

extension DaemonConfiguration {
    /// Reads a YAML configuration. Unknown keys and bad values are errors naming the key's
    /// path and line; what is not given keeps its default.
    public static func parse(yaml: String, environment: [String: String]) throws(ConfigError) -> DaemonConfiguration {
        var configuration = DaemonConfiguration()
        configuration.journal = JournalConfiguration(environment: environment)
        configuration.control = ControlConfiguration(environment: environment)
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: yaml) else { return configuration }
            root = node
        } catch let error as YamlError {
            throw ConfigError(path: "", line: Self.line(of: error), "not valid YAML: \(error)")
        } catch {
            throw ConfigError(path: "", line: nil, "not valid YAML: \(error)")
        }
        let top = try ConfigNode(node: root, path: "").requireMapping()
        if let listen = top["listen"] {
            configuration.listen = []
            for item in try listen.requireList() {
                let text = try item.requireString()
                do {
                    configuration.listen.append(try SocketAddress(parsing: text))
                } catch {
                    throw item.error(error.reason)
                }
            }
            guard !configuration.listen.isEmpty else { throw listen.error("needs at least one address") }
        }
        if let journal = top["journal"] { try readJournal(journal.requireMapping(), into: &configuration.journal) }
        if let limits = top["limits"] { try readLimits(limits.requireMapping(), into: &configuration) }
        if let control = top["control"] {
            try readControl(control.requireMapping(), into: &configuration.control, warnings: &configuration.warnings)
        }
        if let routes = top["routes"] {
            for item in try routes.requireList() {
                let route = try readRoute(item.requireMapping(), warnings: &configuration.warnings)
                if configuration.routes.contains(where: { $0.path == route.path }) {
                    throw item.error("path \(route.path) is used by another route")
                }
                configuration.routes.append(route)
            }
        }
        try top.finish()
        return configuration
    }

    private static func line(of error: YamlError) -> Int? {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _): mark.line
        default: nil
        }
    }

    private static func readJournal(_ map: ConfigMapping, into journal: inout JournalConfiguration) throws(ConfigError)
    {
        if let directory = map["directory"] { journal.directory = try directory.requireString() }
        if let sync = map["sync"] {
            journal.options.sync = try sync.requireOneOf(["always": .always, "none": .none])
        }
        if let size = map["segment-size"] {
            journal.options.segmentSize = try size.requireSize()
            guard journal.options.segmentSize >= 64 * 1024 else { throw size.error("must be at least 64KiB") }
        }
        if let retention = map["retention"] {
            journal.options.retentionSeconds = Int64((try retention.requireDuration()).components.seconds)
        }
        if let every = map["checkpoint-every"] { journal.checkpointEvery = try every.requireInt(min: 1) }
        if let retention = map["task-retention"] {
            let seconds = Int64((try retention.requireDuration()).components.seconds)
            // Shorter would forget tasks while providers still retry them (for up to days).
            guard seconds >= 3600 else { throw retention.error("must be at least 1h") }
            journal.taskRetentionSeconds = seconds
        }
        try map.finish()
    }

    private static func readLimits(_ map: ConfigMapping, into configuration: inout DaemonConfiguration)
        throws(ConfigError)
    {
        if let v = map["max-connections"] { configuration.server.maxConnections = try v.requireInt(min: 1) }
        if let v = map["max-body"] { configuration.server.limits.maxBodyBytes = UInt64(try v.requireSize()) }
        if let v = map["max-header-bytes"] { configuration.server.limits.maxHeaderBytes = try v.requireSize() }
        if let v = map["max-header-count"] { configuration.server.limits.maxHeaderCount = try v.requireInt(min: 1) }
        if let v = map["max-request-line"] { configuration.server.limits.maxRequestLineBytes = try v.requireSize() }
        if let v = map["header-timeout"] { configuration.server.limits.headerTimeout = try v.requireDuration() }
        if let v = map["body-timeout"] { configuration.server.limits.bodyTimeout = try v.requireDuration() }
        if let v = map["idle-timeout"] { configuration.server.limits.idleTimeout = try v.requireDuration() }
        if let v = map["write-timeout"] { configuration.server.limits.writeTimeout = try v.requireDuration() }
        if let v = map["drain-timeout"] { configuration.drainTimeout = try v.requireDuration() }
        if let v = map["max-waiters"] { configuration.control.maxWaiters = try v.requireInt(min: 1) }
        try map.finish()
    }

    private static func readControl(
        _ map: ConfigMapping, into control: inout ControlConfiguration, warnings: inout [String]
    ) throws(ConfigError) {
        if let v = map["socket"] { control.socket = try v.requireString() }
        if let v = map["socket-mode"] {
            guard let text = v.string, let mode = UInt32(text, radix: 8), mode <= 0o777 else {
                throw v.error("expected an octal file mode such as 0660")
            }
            control.socketMode = mode
        }
        if let v = map["admin"] {
            let admin = try v.requireMapping()
            let listenNode = try admin.require("listen")
            let text = try listenNode.requireString()
            let address: SocketAddress
            do { address = try SocketAddress(parsing: text) } catch { throw listenNode.error(error.reason) }
            control.admin = (address, try readSecret(admin.require("token"), warnings: &warnings))
            try admin.finish()
        }
        try map.finish()
    }

    private static func readSecret(_ node: ConfigNode, warnings: inout [String]) throws(ConfigError) -> SecretSource {
        let map = try node.requireMapping()
        let present = map.keys
        guard present.count == 1, let kind = present.first else {
            throw node.error("give exactly one of credential, file, env or value")
        }
        let source: SecretSource
        switch kind {
        case "credential": source = .credential(try map.require("credential").requireString())
        case "file": source = .file(try map.require("file").requireString())
        case "env": source = .environment(try map.require("env").requireString())
        case "value":
            source = .value(try map.require("value").requireString())
            warnings.append(
                "\(node.path): the secret is written in the configuration file; use credential, file or env")
        default:
            throw ConfigError(
                path: node.child(kind), line: node.line, "unknown key; use credential, file, env or value")
        }
        try map.finish()
        return source
    }

    private static func readRoute(_ map: ConfigMapping, warnings: inout [String]) throws(ConfigError)
        -> RouteConfiguration
    {
        let pathNode = try map.require("path")
        let path = try pathNode.requireString()
        guard path.hasPrefix("/"), !path.hasSuffix("/") || path == "/", !path.contains("?"), !path.contains("//") else {
            throw pathNode.error("a route path starts with '/' and has no query, empty segment or trailing '/'")
        }
        guard path != "/healthz" else { throw pathNode.error("/healthz is the health check's; pick another path") }
        let providerNode = try map.require("provider")
        let provider: RouteConfiguration.Provider = try providerNode.requireOneOf(
            Dictionary(uniqueKeysWithValues: RouteConfiguration.Provider.allCases.map { ($0.rawValue, $0) }))
        var route = RouteConfiguration(path: path, provider: provider, name: provider.rawValue)
        // A key the provider's verifier does not use would be ignored, and would count as
        // verification, hiding the allow-unsigned warning: refused instead.
        if let v = map["secret"] {
            switch provider {
            case .freepik, .replicate, .standardWebhooks: break
            case .fal: throw v.error("fal routes verify with jwks, not a secret")
            case .kling: throw v.error("Kling signs nothing; a kling route is authenticated by its token")
            }
            route.secret = try readSecret(v, warnings: &warnings)
        }
        if let v = map["public-key"] {
            guard provider == .standardWebhooks else {
                throw v.error("public-key applies to standard-webhooks routes only")
            }
            route.publicKey = try readSecret(v, warnings: &warnings)
        }
        if let v = map["token"] { route.token = try readSecret(v, warnings: &warnings) }
        if let v = map["tolerance"] { route.tolerance = try v.requireDuration() }
        if let v = map["allow-unsigned"] { route.allowUnsigned = try v.requireBool() }
        if let v = map["key-mode"] {
            guard provider == .freepik else { throw v.error("key-mode applies to freepik routes only") }
            route.keyMode = try v.requireOneOf(
                Dictionary(uniqueKeysWithValues: RouteConfiguration.KeyMode.allCases.map { ($0.rawValue, $0) }))
        }
        if let v = map["jwks"] {
            guard provider == .fal else { throw v.error("jwks applies to fal routes only") }
            let jwks = try v.requireMapping()
            route.jwks = try jwks.require("file").requireString()
            try jwks.finish()
        }
        if provider == .standardWebhooks {
            if let v = map["name"] { route.name = try v.requireString() }
            route.mapping = RouteConfiguration.Mapping(
                taskID: try pointer(map.require("task-id")), status: try pointer(map.require("status")),
                results: try map["results"].map { node throws(ConfigError) in try pointer(node) },
                error: try map["error"].map { node throws(ConfigError) in try pointer(node) },
                statusMap: try statusMap(map.require("status-map")))
        }
        try map.finish()
        try checkVerification(route, map.node)
        if route.allowUnsigned && !route.hasVerification {
            warnings.append("\(map.node.path) (\(route.path)): allow-unsigned is set; anyone can post to this route")
        }
        return route
    }

    private static func pointer(_ node: ConfigNode) throws(ConfigError) -> String {
        let value = try node.requireString()
        guard value.hasPrefix("/") else { throw node.error("expected a JSON pointer such as /data/task_id") }
        return value
    }

    private static func statusMap(_ node: ConfigNode) throws(ConfigError) -> [String: String] {
        let map = try node.requireMapping()
        let statuses = ["created", "in_progress", "completed", "failed", "canceled"]
        var result: [String: String] = [:]
        for key in map.keys {
            let value = try map.require(key).requireString()
            guard statuses.contains(value) else {
                throw ConfigError(
                    path: node.child(key), line: node.line, "expected one of \(statuses.joined(separator: ", "))")
            }
            result[key] = value
        }
        guard !result.isEmpty else { throw node.error("needs at least one status") }
        try map.finish()
        return result
    }

    /// A route must say how callbacks are authenticated, or opt out in so many words.
    private static func checkVerification(_ route: RouteConfiguration, _ node: ConfigNode) throws(ConfigError) {
        if route.allowUnsigned { return }
        let missing: String?
        switch route.provider {
        case .freepik, .replicate: missing = route.secret == nil ? "secret" : nil
        case .fal: missing = route.jwks == nil ? "jwks" : nil
        case .kling: missing = route.token == nil ? "token (Kling signs nothing; the path token authenticates)" : nil
        case .standardWebhooks: missing = route.secret == nil && route.publicKey == nil ? "secret or public-key" : nil
        }
        if let missing {
            throw node.error(
                "\(route.provider.rawValue) route \(route.path) has no \(missing); add it, or set allow-unsigned: true")
        }
    }
}
