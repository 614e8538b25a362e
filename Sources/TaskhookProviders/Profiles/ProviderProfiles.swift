/// The providers a route can name, and the reading of a route's provider keys.
public enum ProviderProfiles {
    /// Every provider, in the order they are documented.
    public static var all: [any ProviderProfile.Type] {
        [FreepikProfile.self, FalProfile.self, KlingProfile.self, ReplicateProfile.self, StandardWebhooksProfile.self]
    }

    public static var names: [String] { all.map { $0.name } }

    public static func named(_ name: String) -> (any ProviderProfile.Type)? {
        all.first { $0.name == name }
    }

    /// The profile `provider` names, or an error listing the names there are.
    public static func require(_ provider: Setting) throws(SettingError) -> any ProviderProfile.Type {
        guard let name = provider.string, let profile = named(name) else {
            throw provider.error("expected one of \(names.sorted().joined(separator: ", "))")
        }
        return profile
    }

    /// Rejects the first key of `settings` nobody read: with the reason `profile` gives, or the
    /// providers that do read it, or as unknown.
    public static func finish(_ settings: SettingsMapping, for profile: any ProviderProfile.Type) throws(SettingError) {
        guard let (key, line) = settings.unusedKeys.first else { return }
        let path = settings.setting.child(key)
        if let refusal = profile.refusal(of: key) { throw SettingError(path: path, line: line, refusal) }
        let users = all.filter { $0.settingKeys.contains(key) }.map { $0.name }
        guard !users.isEmpty else { throw SettingError(path: path, line: line, "unknown key") }
        throw SettingError(path: path, line: line, "\(key) applies to \(listed(users)) routes only")
    }

    /// "a", "a and b", "a, b and c".
    static func listed(_ names: [String]) -> String {
        guard names.count > 1 else { return names.first ?? "" }
        return names.dropLast().joined(separator: ", ") + " and " + names[names.count - 1]
    }
}
