import TaskhookProviders
import Yams

/// The YAML side of the configuration: a composed document becomes a `Setting` tree, each value
/// carrying its key path and line, which the rest of the reading (the provider profiles' included)
/// goes through. Only this file knows the configuration is YAML.
enum ConfigNode {
    /// The tree of `node`, whose key path is `path`. A plain empty value, `~` or `null` is a null
    /// (the same as leaving the key out); a quoted one is a string (`task-id: ""`, the whole document).
    static func setting(_ node: Node, path: String) throws(ConfigError) -> Setting {
        let line = node.mark?.line
        switch node {
        case .scalar(let scalar):
            if scalar.style == .plain && (scalar.string.isEmpty || scalar.string == "~" || scalar.string == "null") {
                return Setting(path: path, line: line, value: .null)
            }
            return Setting(path: path, line: line, value: .scalar(scalar.string))
        case .sequence(let sequence):
            var items: [Setting] = []
            for (index, item) in sequence.enumerated() { items.append(try setting(item, path: "\(path)[\(index)]")) }
            return Setting(path: path, line: line, value: .list(items))
        case .mapping(let mapping):
            var members: [Setting.Member] = []
            for (key, value) in mapping {
                guard let name = key.string else {
                    throw ConfigError(
                        path: path, line: key.mark?.line, "a key must be a plain word, not a list or mapping")
                }
                let child = try setting(value, path: path.isEmpty ? name : "\(path).\(name)")
                members.append(Setting.Member(key: name, line: key.mark?.line, value: child))
            }
            return Setting(path: path, line: line, value: .mapping(members))
        case .alias:
            throw ConfigError(path: path, line: line, "YAML aliases are not supported here; write the value out")
        }
    }
}

extension Setting {
    /// `1048576`, `64KiB`, `1MiB`, `2GiB` (also KB/MB/GB as powers of 1000).
    func requireSize() throws(ConfigError) -> Int {
        guard let text = string, let parsed = Self.size(text) else {
            throw error("expected a size such as 16KiB, 1MiB or a number of bytes")
        }
        return parsed
    }

    static func size(_ text: String) -> Int? {
        let digits = text.prefix { $0.isASCII && $0.isNumber }
        guard !digits.isEmpty, let count = Int(digits) else { return nil }
        let units: [Substring: Int] = [
            "": 1, "B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "KB": 1000, "MB": 1_000_000,
            "GB": 1_000_000_000,
        ]
        guard let unit = units[text.dropFirst(digits.count)] else { return nil }
        let (value, overflow) = count.multipliedReportingOverflow(by: unit)
        return overflow ? nil : value
    }
}
