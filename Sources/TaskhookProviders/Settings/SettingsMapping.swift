/// A mapping being read. Reading a key marks it used; `finish()` rejects the rest as unknown, so a
/// misspelt key is an error rather than silently ignored.
public final class SettingsMapping {
    private let members: [Setting.Member]
    public let setting: Setting
    private var used: Set<String> = []

    init(members: [Setting.Member], setting: Setting) {
        self.members = members
        self.setting = setting
    }

    /// The keys as written, in order.
    public var keys: [String] { members.map(\.key) }

    /// The keys not read yet, with the line each is on, in order.
    public var unusedKeys: [(key: String, line: Int?)] {
        members.filter { !used.contains($0.key) }.map { ($0.key, $0.line) }
    }

    /// The value of `key`; nil when it is absent or left empty (`key:` is the same as leaving it out).
    public subscript(key: String) -> Setting? {
        used.insert(key)
        guard let member = members.last(where: { $0.key == key }) else { return nil }
        if case .null = member.value.value { return nil }
        return member.value
    }

    public func require(_ key: String) throws(SettingError) -> Setting {
        guard let value = self[key] else {
            throw SettingError(path: setting.child(key), line: setting.line, "is required")
        }
        return value
    }

    /// Rejects the first key that was not read.
    public func finish() throws(SettingError) {
        guard let (key, line) = unusedKeys.first else { return }
        throw SettingError(path: setting.child(key), line: line, "unknown key")
    }
}
