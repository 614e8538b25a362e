import TaskhookProviders
import Yams

extension ActionsConfiguration {
    /// Reads the configuration file taskhookd reads: its `actions:` section (nil when there is
    /// none) and its `control.socket`. taskhookd's own keys are left to taskhookd, which checks
    /// them (and ignores `actions:`).
    public static func parse(yaml: String) throws(SettingError) -> ActionsConfiguration? {
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: yaml) else { return nil }
            root = node
        } catch let error as YamlError {
            throw SettingError(path: "", line: line(of: error), "not valid YAML: \(error)")
        } catch {
            throw SettingError(path: "", line: nil, "not valid YAML: \(error)")
        }
        guard case .mapping(let top) = root else {
            throw SettingError(path: "", line: root.mark?.line, "expected a mapping of keys to values")
        }
        guard let actions = top["actions"] else { return nil }
        var configuration = try read(try setting(actions, path: "actions"))
        if case .mapping(let control)? = top["control"], let socket = control["socket"]?.string, !socket.isEmpty {
            configuration.controlSocket = socket
        }
        return configuration
    }

    private static func line(of error: YamlError) -> Int? {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _): mark.line
        default: nil
        }
    }

    /// The `Setting` tree of a YAML node, each value with its key path and line, read as
    /// taskhookd reads its own keys (a plain empty value, `~` or `null` is a null).
    static func setting(_ node: Node, path: String) throws(SettingError) -> Setting {
        let line = node.mark?.line
        switch node {
        case .scalar(let scalar):
            let isNull = scalar.style == .plain && ["", "~", "null"].contains(scalar.string)
            return Setting(path: path, line: line, value: isNull ? .null : .scalar(scalar.string))
        case .sequence(let sequence):
            var items: [Setting] = []
            for (index, item) in sequence.enumerated() { items.append(try setting(item, path: "\(path)[\(index)]")) }
            return Setting(path: path, line: line, value: .list(items))
        case .mapping(let mapping):
            var members: [Setting.Member] = []
            for (key, value) in mapping {
                guard let name = key.string else {
                    throw SettingError(
                        path: path, line: key.mark?.line, "a key must be a plain word, not a list or mapping")
                }
                members.append(
                    Setting.Member(key: name, line: key.mark?.line, value: try setting(value, path: "\(path).\(name)")))
            }
            return Setting(path: path, line: line, value: .mapping(members))
        case .alias:
            throw SettingError(path: path, line: line, "YAML aliases are not supported here; write the value out")
        }
    }
}
