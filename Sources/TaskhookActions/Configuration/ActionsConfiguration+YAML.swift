import TaskhookProviders
import TaskhookYAML

extension ActionsConfiguration {
    /// Reads the configuration file taskhookd reads: its `actions:` section (nil when there is
    /// none) and its `control.socket`. taskhookd's own keys are left to taskhookd, which checks
    /// them (and ignores `actions:`).
    public static func parse(yaml: String) throws(SettingError) -> ActionsConfiguration? {
        guard let root = try YAMLSettings.document(yaml) else { return nil }
        guard case .mapping(let top) = root.value else {
            throw SettingError(path: "", line: root.line, "expected a mapping of keys to values")
        }
        guard let actions = member("actions", of: top) else { return nil }
        var configuration = try read(actions)
        if case .mapping(let control)? = member("control", of: top)?.value,
            case .scalar(let socket)? = member("socket", of: control)?.value, !socket.isEmpty
        {
            configuration.controlSocket = socket
        }
        return configuration
    }

    /// The first member named `key`, as a YAML mapping's lookup finds it.
    private static func member(_ key: String, of members: [Setting.Member]) -> Setting? {
        members.first { $0.key == key }?.value
    }
}
