import Crypto
import TaskhookCore

/// Any other Standard Webhooks sender: v1 (HMAC-SHA256) and v1a (Ed25519) signatures, and a body
/// whose task id, status, results and error are found by JSON pointers, its status words mapped by
/// the route (`status-map`).
public struct StandardWebhooksProfile: ProviderProfile {
    public static let name = "standard-webhooks"
    public static let settingKeys = [
        "secret", "public-key", "name", "task-id", "status", "results", "error", "status-map",
    ]
    public static let authentication = Authentication.keys("secret or public-key")
    public static let signingKeyKind = SigningKeyKind.secretOrEd25519

    /// The `provider` of the events: the route's `name:`, by default the profile's.
    public var eventProvider: String { mapping.provider }
    /// A `whsec_…` HMAC secret (`v1`).
    public var secret: SecretSource?
    /// A `whpk_…` Ed25519 public key (`v1a`).
    public var publicKey: SecretSource?
    /// Where the task's fields are, and what its status words mean.
    public var mapping: GenericNormalizer

    public init(secret: SecretSource? = nil, publicKey: SecretSource? = nil, mapping: GenericNormalizer) {
        self.secret = secret
        self.publicKey = publicKey
        self.mapping = mapping
    }

    public init(settings: SettingsMapping, warnings: inout [String]) throws(SettingError) {
        secret = try settings["secret"]?.requireSecret(warnings: &warnings)
        publicKey = try settings["public-key"]?.requireSecret(warnings: &warnings)
        let provider = try settings["name"]?.requireString() ?? Self.name
        mapping = GenericNormalizer(
            provider: provider, taskID: try Self.pointer(settings.require("task-id")),
            status: try Self.pointer(settings.require("status")),
            results: try settings["results"].map { setting throws(SettingError) in try Self.pointer(setting) },
            error: try settings["error"].map { setting throws(SettingError) in try Self.pointer(setting) },
            statusMap: try Self.statusMap(settings.require("status-map")))
    }

    /// An RFC 6901 pointer; the empty one (`""`) is the whole document.
    static func pointer(_ setting: Setting) throws(SettingError) -> JSONPointer {
        guard let text = setting.string else { throw setting.error("expected a JSON pointer such as /data/task_id") }
        do {
            return try JSONPointer(text)
        } catch {
            throw setting.error(error.reason)
        }
    }

    /// The route's status words, each to a normalized status.
    static func statusMap(_ setting: Setting) throws(SettingError) -> [String: TaskStatus] {
        let map = try setting.requireMapping()
        let choices = TaskStatus.allCases.map(\.rawValue).joined(separator: ", ")
        var result: [String: TaskStatus] = [:]
        for key in map.keys {
            let value = try map.require(key)
            guard let status = value.string.flatMap(TaskStatus.init(rawValue:)) else {
                throw value.error("expected one of \(choices)")
            }
            result[key] = status
        }
        guard !result.isEmpty else { throw setting.error("needs at least one status") }
        try map.finish()
        return result
    }

    public var hasKeys: Bool { secret != nil || publicKey != nil }

    public func verifier(keys: any KeyLoader, toleranceSeconds: Int64) throws(ProviderConfigurationError)
        -> (any SignatureVerifier)?
    {
        var parsed: [StandardWebhooksKey] = []
        for (source, key) in [(secret, "secret"), (publicKey, "public-key")] {
            guard let source else { continue }
            let text = try keys.text(of: source, for: key)
            do {
                parsed.append(try StandardWebhooksKey(parsing: text))
            } catch {
                throw ProviderConfigurationError("\(key): \(error.reason)")
            }
        }
        return parsed.isEmpty ? nil : StandardWebhooksVerifier(keys: parsed, toleranceSeconds: toleranceSeconds)
    }

    public func deliveryID(of callback: Callback) -> String? { StandardWebhooksScheme.deliveryID(of: callback) }

    public func keepsOwnHeader(_ name: String) -> Bool { StandardWebhooksScheme.isSchemeHeader(name) }

    /// The route's map, its words in alphabetical order.
    public var statusWords: StatusWords {
        StatusWords(mapping.statusMap.sorted { $0.key < $1.key }.map { (word: $0.key, status: $0.value) })
    }

    /// `v1` with a secret, `v1a` with an Ed25519 private key.
    public func sign(_ body: [UInt8], taskID: String, deliveryID: String, timestamp: Int64, with key: SigningKey)
        throws(ProviderConfigurationError) -> [Delivery.Header]
    {
        switch key {
        case .secret(let secret):
            let bytes = try StandardWebhooksKey.secretBytes(secret)
            return StandardWebhooksScheme.sign(
                body, id: deliveryID, timestamp: timestamp, key: .hmac(SymmetricKey(data: bytes)))
        case .ed25519(let privateKey):
            return StandardWebhooksScheme.sign(body, id: deliveryID, timestamp: timestamp, key: .ed25519(privateKey))
        }
    }

    /// None: the body's shape is the sender's own, which only the route's pointers describe.
    public func testBody(taskID: String, status: TaskStatus, resultURL: String) throws(ProviderConfigurationError)
        -> [UInt8]?
    {
        nil
    }

    public func normalize(_ callback: Callback) -> Normalized { mapping.normalize(callback) }
}

extension StandardWebhooksProfile {
    /// A profile for signing only (`taskhook send-test`): no keys, no mapping.
    public init() {
        self.init(
            mapping: GenericNormalizer(
                provider: Self.name, taskID: Self.root, status: Self.root, statusMap: [:]))
    }
}

extension StandardWebhooksProfile {
    // The empty pointer always parses.
    fileprivate static let root = try! JSONPointer("")
}
