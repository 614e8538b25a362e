import TaskhookJournal
import TaskhookPosix
import TaskhookProviders
import TaskhookYAML

extension DaemonConfiguration {
    /// Reads a YAML configuration. Unknown keys and bad values are errors naming the key's
    /// path and line; what is not given keeps its default.
    public static func parse(yaml: String, environment: [String: String]) throws(ConfigError) -> DaemonConfiguration {
        var configuration = DaemonConfiguration()
        configuration.journal = JournalConfiguration(environment: environment)
        configuration.control = ControlConfiguration(environment: environment)
        guard let root = try YAMLSettings.document(yaml) else { return configuration }
        let top = try root.requireMapping()
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
        if let proxies = top["trusted-proxies"] { configuration.trustedProxies = try readTrustedProxies(proxies) }
        let ceiling = Int(configuration.server.limits.maxBodyBytes)
        if let routes = top["routes"] {
            for item in try routes.requireList() {
                var route = try readRoute(item.requireMapping(), warnings: &configuration.warnings)
                if route.maxBody == nil, route.bodyLimit > ceiling {
                    // A provider's default above a lowered ceiling: the ceiling is what it gets.
                    route.maxBody = ceiling
                } else if route.bodyLimit > ceiling {
                    throw item.error(
                        "max-body of \(route.path) (\(route.bodyLimit) bytes) is above limits.max-body (\(ceiling)); raise limits.max-body or lower the route's"
                    )
                }
                if configuration.routes.contains(where: { $0.path == route.path }) {
                    throw item.error("path \(route.path) is used by another route")
                }
                configuration.routes.append(route)
            }
        }
        _ = top["actions"]  // read by `taskhook actions run`, not by the daemon
        try top.finish()
        return configuration
    }

    private static func readTrustedProxies(_ node: Setting) throws(ConfigError) -> TrustedProxies {
        var texts: [String] = []
        for item in try node.requireList() { texts.append(try item.requireString()) }
        do { return try TrustedProxies(parsing: texts) } catch { throw node.error(error.description) }
    }

    /// The largest body a delivery record can hold: a frame's 16 MiB less the header limit's
    /// worth of headers and 64 KiB for the route, events and note.
    static let journalBodyCapacity = RecordFrame.maxBodySize - 16 * 1024 - 64 * 1024

    private static func readJournal(_ map: SettingsMapping, into journal: inout JournalConfiguration)
        throws(ConfigError)
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

    private static func readLimits(_ map: SettingsMapping, into configuration: inout DaemonConfiguration)
        throws(ConfigError)
    {
        if let v = map["max-connections"] { configuration.server.maxConnections = try v.requireInt(min: 1) }
        if let v = map["max-body"] {
            let size = try v.requireSize()
            // A delivery record holds the body plus its headers and events; the journal's frame
            // reader refuses records beyond `RecordFrame.maxBodySize`.
            guard size <= Self.journalBodyCapacity else {
                throw v.error(
                    "a journal record holds bodies up to \(Self.journalBodyCapacity) bytes (16 MiB less room for headers and events)"
                )
            }
            configuration.server.limits.maxBodyBytes = UInt64(size)
        }
        if let v = map["max-header-bytes"] { configuration.server.limits.maxHeaderBytes = try v.requireSize() }
        if let v = map["max-header-count"] { configuration.server.limits.maxHeaderCount = try v.requireInt(min: 1) }
        if let v = map["max-request-line"] { configuration.server.limits.maxRequestLineBytes = try v.requireSize() }
        if let v = map["header-timeout"] { configuration.server.limits.headerTimeout = try v.requireDuration() }
        if let v = map["body-timeout"] { configuration.server.limits.bodyTimeout = try v.requireDuration() }
        if let v = map["idle-timeout"] { configuration.server.limits.idleTimeout = try v.requireDuration() }
        if let v = map["write-timeout"] { configuration.server.limits.writeTimeout = try v.requireDuration() }
        if let v = map["drain-timeout"] { configuration.drainTimeout = try v.requireDuration() }
        if let v = map["long-iteration"] {
            configuration.longIteration = try v.requireDuration()
            guard configuration.longIteration >= .milliseconds(1) else { throw v.error("must be at least 1ms") }
        }
        if let v = map["max-waiters"] { configuration.control.maxWaiters = try v.requireInt(min: 1) }
        if let v = map["max-event-streams"] { configuration.control.maxEventStreams = try v.requireInt(min: 1) }
        if let v = map["max-buffered-bodies"] {
            configuration.server.maxBufferedBodyBytes = try v.requireSize()
            guard UInt64(configuration.server.maxBufferedBodyBytes) >= configuration.server.limits.maxBodyBytes else {
                throw v.error("must be at least max-body, or no body of the largest size could be read")
            }
        }
        try map.finish()
    }

    private static func readControl(
        _ map: SettingsMapping, into control: inout ControlConfiguration, warnings: inout [String]
    ) throws(ConfigError) {
        if let v = map["socket"] { control.socket = try v.requireString() }
        if let v = map["socket-mode"] {
            guard let text = v.string, let mode = UInt32(text, radix: 8), mode <= 0o777 else {
                throw v.error("expected an octal file mode such as 0660")
            }
            control.socketMode = mode
        }
        if let v = map["max-connections"] { control.maxConnections = try v.requireInt(min: 1) }
        if let v = map["admin"] {
            let admin = try v.requireMapping()
            // No address: the listener must be a socket systemd passes by the name `admin`.
            var address: SocketAddress?
            if let listenNode = admin["listen"] {
                let text = try listenNode.requireString()
                do { address = try SocketAddress(parsing: text) } catch { throw listenNode.error(error.reason) }
            }
            var listener = AdminListener(
                listen: address, token: try admin.require("token").requireSecret(warnings: &warnings))
            if let limit = admin["max-connections"] { listener.maxConnections = try limit.requireInt(min: 1) }
            control.admin = listener
            try admin.finish()
        }
        try map.finish()
    }

    /// A route: the keys every route has, then its provider's own, read by its profile.
    private static func readRoute(_ map: SettingsMapping, warnings: inout [String]) throws(ConfigError)
        -> RouteConfiguration
    {
        let pathNode = try map.require("path")
        let path = try pathNode.requireString()
        guard path.hasPrefix("/"), !path.hasSuffix("/") || path == "/", !path.contains("?"), !path.contains("//") else {
            throw pathNode.error("a route path starts with '/' and has no query, empty segment or trailing '/'")
        }
        guard path != "/healthz" else { throw pathNode.error("/healthz is the health check's; pick another path") }
        let provider = try ProviderProfiles.require(map.require("provider"))
        var route = RouteConfiguration(path: path, profile: try provider.init(settings: map, warnings: &warnings))
        if let v = map["token"] { route.token = try v.requireSecret(warnings: &warnings) }
        if let v = map["tolerance"] { route.tolerance = try v.requireDuration() }
        if let v = map["allow-unsigned"] { route.allowUnsigned = try v.requireBool() }
        if let v = map["max-body"] {
            route.maxBody = try v.requireSize()
            guard route.maxBody! > 0 else { throw v.error("must be more than 0") }
        }
        // A key the provider does not read would be ignored, and might look like verification
        // (hiding the allow-unsigned warning): refused instead.
        try ProviderProfiles.finish(map, for: provider)
        if let reason = route.unverifiedReason { throw map.setting.error(reason) }
        if route.allowUnsigned && !route.hasVerification {
            warnings.append("\(map.setting.path) (\(route.path)): allow-unsigned is set; anyone can post to this route")
        }
        return route
    }
}
