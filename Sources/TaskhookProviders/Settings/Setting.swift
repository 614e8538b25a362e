/// One value of the configuration as its reader (the daemon's YAML reader) hands it over, with where
/// it is: its key path (`routes[0].secret`) and line. Reading is strict: every value is checked for
/// its type, and every error names the path and line.
public struct Setting: Sendable {
    public enum Value: Sendable {
        /// Left empty, `~` or `null`: the same as leaving the key out.
        case null
        case scalar(String)
        case list([Setting])
        case mapping([Member])
    }

    public struct Member: Sendable {
        public var key: String
        /// The line of the key itself, for "unknown key".
        public var line: Int?
        public var value: Setting

        public init(key: String, line: Int?, value: Setting) {
            self.key = key
            self.line = line
            self.value = value
        }
    }

    public let path: String
    public let line: Int?
    public let value: Value

    public init(path: String, line: Int?, value: Value) {
        self.path = path
        self.line = line
        self.value = value
    }

    public func error(_ message: String) -> SettingError { SettingError(path: path, line: line, message) }

    /// The path of a key below this one.
    public func child(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    public var string: String? {
        guard case .scalar(let text) = value else { return nil }
        return text
    }

    public func requireString() throws(SettingError) -> String {
        guard let text = string, !text.isEmpty else { throw error("expected a non-empty string") }
        return text
    }

    public func requireBool() throws(SettingError) -> Bool {
        switch string?.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw error("expected true or false")
        }
    }

    public func requireInt(min: Int = 0) throws(SettingError) -> Int {
        guard let text = string, let value = Int(text), value >= min else {
            throw error("expected a whole number ≥ \(min)")
        }
        return value
    }

    /// `300s`, `10m`, `2h`, `30d`, `500ms`; at most 100 years, so adding one to a clock reading
    /// or a file time can never overflow.
    public func requireDuration() throws(SettingError) -> Duration {
        guard let text = string, let parsed = Self.duration(text) else {
            throw error("expected a duration such as 500ms, 30s, 10m, 2h or 30d")
        }
        guard parsed <= Self.longestDuration else { throw error("must be at most 36500d (100 years)") }
        return parsed
    }

    static let longestDuration = Duration.seconds(36_500 * 86_400)

    static func duration(_ text: String) -> Duration? {
        let digits = text.prefix { $0.isASCII && $0.isNumber }
        guard !digits.isEmpty, let count = Int64(digits) else { return nil }
        let unit: Int64
        switch text.dropFirst(digits.count) {
        case "ms": return .milliseconds(count)
        case "s": unit = 1
        case "m": unit = 60
        case "h": unit = 3600
        case "d": unit = 86400
        default: return nil
        }
        let (seconds, overflow) = count.multipliedReportingOverflow(by: unit)
        return overflow ? nil : .seconds(seconds)
    }

    /// A sequence, or a single scalar taken as a one-element list.
    public func requireList() throws(SettingError) -> [Setting] {
        switch value {
        case .list(let items): return items
        case .scalar: return [self]
        case .null, .mapping: throw error("expected a list")
        }
    }

    public func requireMapping() throws(SettingError) -> SettingsMapping {
        guard case .mapping(let members) = value else { throw error("expected a mapping of keys to values") }
        return SettingsMapping(members: members, setting: self)
    }

    public func requireOneOf<T>(_ choices: [String: T]) throws(SettingError) -> T {
        guard let text = string, let chosen = choices[text] else {
            throw error("expected one of \(choices.keys.sorted().joined(separator: ", "))")
        }
        return chosen
    }

    /// `{credential: NAME}`, `{file: PATH}`, `{env: NAME}` or `{value: "…"}`; an inline value is
    /// accepted with a warning, since it puts the secret in the configuration file.
    public func requireSecret(warnings: inout [String]) throws(SettingError) -> SecretSource {
        let map = try requireMapping()
        let present = map.keys
        guard present.count == 1, let kind = present.first else {
            throw error("give exactly one of credential, file, env or value")
        }
        let source: SecretSource
        switch kind {
        case "credential": source = .credential(try map.require("credential").requireString())
        case "file": source = .file(try map.require("file").requireString())
        case "env": source = .environment(try map.require("env").requireString())
        case "value":
            source = .value(try map.require("value").requireString())
            warnings.append("\(path): the secret is written in the configuration file; use credential, file or env")
        default:
            throw SettingError(path: child(kind), line: line, "unknown key; use credential, file, env or value")
        }
        try map.finish()
        return source
    }
}
