import CYAML
import TaskhookProviders

/// The YAML side of the configuration: libyaml's events for a document become a `Setting` tree,
/// each value carrying its key path and line, which the rest of the reading (the provider
/// profiles' included) goes through. Only this file knows the configuration is YAML.
enum ConfigNode {
    /// Nesting beyond this is refused (a configuration needs a handful of levels), so hostile
    /// text cannot exhaust the stack.
    static let maximumDepth = 64

    /// The tree of the one document in `yaml`, or nil when there is none (an empty file, or
    /// only comments).
    static func document(_ yaml: String) throws(ConfigError) -> Setting? {
        // libyaml refuses a null input pointer, which an empty string may give.
        guard !yaml.isEmpty else { return nil }
        var text = yaml
        let result = text.withUTF8 { bytes in
            Result { () throws(ConfigError) -> Setting? in
                let events = YAMLEvents(bytes)
                guard case .streamStart = try events.next() else { throw events.unexpected() }
                switch try events.next() {
                case .streamEnd: return nil
                case .documentStart: break
                default: throw events.unexpected()
                }
                let root = try setting(try events.next(), path: "", depth: 0, events: events)
                guard case .documentEnd = try events.next() else { throw events.unexpected() }
                if case .documentStart(let line) = try events.next() {
                    throw ConfigError(path: "", line: line, "not valid YAML: the file holds more than one document")
                }
                return root
            }
        }
        return try result.get()
    }

    /// The tree of the node that `first` starts, whose key path is `path`. A plain empty value,
    /// `~` or `null` is a null (the same as leaving the key out); a quoted one is a string
    /// (`task-id: ""`, the whole document).
    private static func setting(_ first: YAMLEvents.Event, path: String, depth: Int, events: YAMLEvents)
        throws(ConfigError) -> Setting
    {
        switch first {
        case .scalar(let text, let plain, let line):
            if plain && (text.isEmpty || text == "~" || text == "null") {
                return Setting(path: path, line: line, value: .null)
            }
            return Setting(path: path, line: line, value: .scalar(text))
        case .sequenceStart(let line):
            guard depth < maximumDepth else { throw tooDeep(path: path, line: line) }
            var items: [Setting] = []
            while true {
                let event = try events.next()
                if case .sequenceEnd = event { break }
                items.append(try setting(event, path: "\(path)[\(items.count)]", depth: depth + 1, events: events))
            }
            return Setting(path: path, line: line, value: .list(items))
        case .mappingStart(let line):
            guard depth < maximumDepth else { throw tooDeep(path: path, line: line) }
            var members: [Setting.Member] = []
            while true {
                let key = try events.next()
                if case .mappingEnd = key { break }
                guard case .scalar(let name, _, let keyLine) = key else {
                    throw ConfigError(path: path, line: key.line, "a key must be a plain word, not a list or mapping")
                }
                let child = try setting(
                    try events.next(), path: path.isEmpty ? name : "\(path).\(name)", depth: depth + 1, events: events)
                members.append(Setting.Member(key: name, line: keyLine, value: child))
            }
            return Setting(path: path, line: line, value: .mapping(members))
        case .alias(let line):
            throw ConfigError(path: path, line: line, "YAML aliases are not supported here; write the value out")
        default:
            throw events.unexpected()
        }
    }

    private static func tooDeep(path: String, line: Int) -> ConfigError {
        ConfigError(path: path, line: line, "nested deeper than \(maximumDepth) levels")
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
