import TaskhookCore

@testable import TaskhookProviders

/// Keys for building verifiers through profiles in tests: secrets are their inline values, files
/// come from a dictionary (read once, never watched).
struct TestKeys: KeyLoader {
    var files: [String: String] = [:]

    func text(of source: SecretSource, for key: String) throws(ProviderConfigurationError) -> String {
        guard case .value(let text) = source else { throw ProviderConfigurationError("\(key): only inline values") }
        return text
    }

    func verifier(
        reloading path: String, key: String, label: String,
        build:
            @escaping @Sendable ([UInt8]) throws(ProviderConfigurationError) -> (any SignatureVerifier, keyCount: Int)
    ) throws(ProviderConfigurationError) -> any SignatureVerifier {
        guard let text = files[path] else { throw ProviderConfigurationError("\(key) \(path): no such file") }
        return try build(Array(text.utf8)).0
    }
}

/// Settings as the daemon's YAML reader would hand them over, for a route at `routes[0]`.
enum TestSettings {
    /// A route mapping whose keys are on lines 2, 3, … in order.
    static func route(_ members: KeyValuePairs<String, Setting.Value>) -> SettingsMapping {
        var list: [Setting.Member] = []
        for (index, member) in members.enumerated() {
            let line = index + 2
            list.append(
                Setting.Member(
                    key: member.key, line: line,
                    value: Setting(path: "routes[0].\(member.key)", line: line, value: member.value)))
        }
        return try! Setting(path: "routes[0]", line: 2, value: .mapping(list)).requireMapping()
    }

    /// A mapping below `path` whose values are all on `line`.
    static func mapping(_ path: String, line: Int, _ members: KeyValuePairs<String, String>) -> Setting.Value {
        .mapping(
            members.map {
                Setting.Member(
                    key: $0.key, line: line,
                    value: Setting(path: "\(path).\($0.key)", line: line, value: .scalar($0.value)))
            })
    }

    static func profile<P: ProviderProfile>(_ type: P.Type, _ members: KeyValuePairs<String, Setting.Value>)
        throws(SettingError) -> P
    {
        var warnings: [String] = []
        let settings = route(members)
        let profile = try P(settings: settings, warnings: &warnings)
        try ProviderProfiles.finish(settings, for: P.self)
        return profile
    }
}
