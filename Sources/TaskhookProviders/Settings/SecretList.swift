extension SettingsMapping {
    /// At most this many secrets on one route: every one is tried against every signature entry.
    public static let maximumSecrets = 8

    /// A route's secrets: `secret:` (one) or `secrets:` (a list: during a rotation the new secret
    /// and the old ones, until the provider signs only with the new one), never both; empty when
    /// neither is there.
    public func secrets(warnings: inout [String]) throws(SettingError) -> [SecretSource] {
        switch (self["secret"], self["secrets"]) {
        case (let one?, nil):
            return [try one.requireSecret(warnings: &warnings)]
        case (nil, let list?):
            let items = try list.requireList()
            guard !items.isEmpty else { throw list.error("needs at least one secret") }
            guard items.count <= Self.maximumSecrets else {
                throw list.error("has \(items.count) secrets; at most \(Self.maximumSecrets) are accepted")
            }
            var sources: [SecretSource] = []
            for item in items { sources.append(try item.requireSecret(warnings: &warnings)) }
            return sources
        case (let one?, _?):
            throw one.error("give secret or secrets, not both")
        case (nil, nil):
            return []
        }
    }
}

extension KeyLoader {
    /// The text of every secret, in order; `key` names the setting in errors.
    func texts(of sources: [SecretSource], for key: String) throws(ProviderConfigurationError) -> [String] {
        var texts: [String] = []
        for (index, source) in sources.enumerated() {
            texts.append(try text(of: source, for: sources.count == 1 ? key : "\(key)s[\(index)]"))
        }
        return texts
    }
}
