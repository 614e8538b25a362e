import CYAML
import TaskhookProviders

/// A configuration file's YAML as a `Setting` tree: libyaml's events for its one document, each
/// value carrying its key path and line, which the rest of the reading (taskhookd's keys, the
/// provider profiles', `taskhook actions`' section) goes through. Only this module knows the
/// configuration is YAML.
public enum YAMLSettings {
    /// Nesting beyond this is refused (a configuration needs a handful of levels), so hostile
    /// text cannot exhaust the stack.
    public static let maximumDepth = 64

    /// The tree of the one document in `yaml`, or nil when there is none (an empty file, or
    /// only comments).
    public static func document(_ yaml: String) throws(SettingError) -> Setting? {
        // libyaml refuses a null input pointer, which an empty string may give.
        guard !yaml.isEmpty else { return nil }
        var text = yaml
        let result = text.withUTF8 { bytes in
            Result { () throws(SettingError) -> Setting? in
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
                    throw SettingError(path: "", line: line, "not valid YAML: the file holds more than one document")
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
        throws(SettingError) -> Setting
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
            // Where each key was first given: YAML allows a key once per mapping, and a second
            // one would otherwise silently win (as Yams, before this reader, refused it too).
            // Looked up only, never walked, so no dictionary order decides anything.
            var firstLines: [String: Int] = [:]
            while true {
                let key = try events.next()
                if case .mappingEnd = key { break }
                guard case .scalar(let name, _, let keyLine) = key else {
                    throw SettingError(path: path, line: key.line, "a key must be a plain word, not a list or mapping")
                }
                let childPath = path.isEmpty ? name : "\(path).\(name)"
                if let first = firstLines.updateValue(keyLine, forKey: name) {
                    throw SettingError(
                        path: childPath, line: keyLine, "given more than once in this mapping (first on line \(first))")
                }
                let child = try setting(try events.next(), path: childPath, depth: depth + 1, events: events)
                members.append(Setting.Member(key: name, line: keyLine, value: child))
            }
            return Setting(path: path, line: line, value: .mapping(members))
        case .alias(let line):
            throw SettingError(path: path, line: line, "YAML aliases are not supported here; write the value out")
        default:
            throw events.unexpected()
        }
    }

    private static func tooDeep(path: String, line: Int) -> SettingError {
        SettingError(path: path, line: line, "nested deeper than \(maximumDepth) levels")
    }
}
