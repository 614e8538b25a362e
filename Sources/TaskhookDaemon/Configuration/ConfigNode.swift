import Yams

/// A YAML node with its key path, for strict reading: every value is checked for its type,
/// and a mapping that is `finish()`ed reports any key that was not read as unknown.
struct ConfigNode {
    let node: Node
    let path: String

    var line: Int? { node.mark?.line }

    func error(_ message: String) -> ConfigError { ConfigError(path: path, line: line, message) }

    func child(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    var string: String? {
        guard case .scalar(let scalar) = node else { return nil }
        return scalar.string
    }

    func requireString() throws(ConfigError) -> String {
        guard let s = string, !s.isEmpty else { throw error("expected a non-empty string") }
        return s
    }

    func requireBool() throws(ConfigError) -> Bool {
        switch string?.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw error("expected true or false")
        }
    }

    func requireInt(min: Int = 0) throws(ConfigError) -> Int {
        guard let s = string, let v = Int(s), v >= min else { throw error("expected a whole number ≥ \(min)") }
        return v
    }

    /// `300s`, `10m`, `2h`, `30d`, `500ms`; at most 100 years, so adding one to a clock reading
    /// or a file time can never overflow.
    func requireDuration() throws(ConfigError) -> Duration {
        guard let s = string, let parsed = Self.duration(s) else {
            throw error("expected a duration such as 500ms, 30s, 10m, 2h or 30d")
        }
        guard parsed <= Self.longestDuration else { throw error("must be at most 36500d (100 years)") }
        return parsed
    }

    static let longestDuration = Duration.seconds(36_500 * 86_400)

    static func duration(_ s: String) -> Duration? {
        let digits = s.prefix { $0.isASCII && $0.isNumber }
        guard !digits.isEmpty, let n = Int64(digits) else { return nil }
        let unit: Int64
        switch s.dropFirst(digits.count) {
        case "ms": return .milliseconds(n)
        case "s": unit = 1
        case "m": unit = 60
        case "h": unit = 3600
        case "d": unit = 86400
        default: return nil
        }
        let (seconds, overflow) = n.multipliedReportingOverflow(by: unit)
        return overflow ? nil : .seconds(seconds)
    }

    /// `1048576`, `64KiB`, `1MiB`, `2GiB` (also KB/MB/GB as powers of 1000).
    func requireSize() throws(ConfigError) -> Int {
        guard let s = string, let parsed = Self.size(s) else {
            throw error("expected a size such as 16KiB, 1MiB or a number of bytes")
        }
        return parsed
    }

    static func size(_ s: String) -> Int? {
        let digits = s.prefix { $0.isASCII && $0.isNumber }
        guard !digits.isEmpty, let n = Int(digits) else { return nil }
        let units: [Substring: Int] = [
            "": 1, "B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "KB": 1000, "MB": 1_000_000,
            "GB": 1_000_000_000,
        ]
        guard let unit = units[s.dropFirst(digits.count)] else { return nil }
        let (value, overflow) = n.multipliedReportingOverflow(by: unit)
        return overflow ? nil : value
    }

    /// A sequence, or a single scalar taken as a one-element list.
    func requireList() throws(ConfigError) -> [ConfigNode] {
        switch node {
        case .sequence(let seq): return seq.enumerated().map { ConfigNode(node: $1, path: "\(path)[\($0)]") }
        case .scalar: return [self]
        default: throw error("expected a list")
        }
    }

    func requireMapping() throws(ConfigError) -> ConfigMapping {
        guard case .mapping(let mapping) = node else { throw error("expected a mapping of keys to values") }
        return ConfigMapping(mapping: mapping, node: self)
    }

    func requireOneOf<T>(_ choices: [String: T]) throws(ConfigError) -> T {
        guard let s = string, let value = choices[s] else {
            throw error("expected one of \(choices.keys.sorted().joined(separator: ", "))")
        }
        return value
    }
}

/// A mapping being read. Reading marks a key used; `finish()` rejects the rest.
final class ConfigMapping {
    private let mapping: Node.Mapping
    let node: ConfigNode
    private var used: Set<String> = []

    init(mapping: Node.Mapping, node: ConfigNode) {
        self.mapping = mapping
        self.node = node
    }

    var keys: [String] { mapping.keys.compactMap(\.string) }

    subscript(key: String) -> ConfigNode? {
        used.insert(key)
        guard let value = mapping[key] else { return nil }
        if case .scalar(let scalar) = value, scalar.string.isEmpty || scalar.string == "~" || scalar.string == "null" {
            return nil  // `key:` with no value is the same as leaving it out
        }
        return ConfigNode(node: value, path: node.child(key))
    }

    func require(_ key: String) throws(ConfigError) -> ConfigNode {
        guard let value = self[key] else { throw ConfigError(path: node.child(key), line: node.line, "is required") }
        return value
    }

    func finish() throws(ConfigError) {
        for (key, _) in mapping {
            guard let name = key.string, !used.contains(name) else { continue }
            throw ConfigError(path: node.child(name), line: key.mark?.line, "unknown key")
        }
    }
}
