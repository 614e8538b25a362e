import Crypto
import TaskhookCore

/// Freepik's Kling image-to-video callbacks: Standard Webhooks headers and HMAC-SHA256 `v1` entries,
/// with a key derivation of its own (`key-mode`); the body is the GET-status answer without its
/// `data` wrapper, `{"task_id", "status", "generated": [url…]}`.
public struct FreepikProfile: StandardWebhooksSender, Equatable {
    public typealias KeyMode = FreepikVerifier.KeyMode

    public static let name = "freepik"
    public static let settingKeys = ["secret", "secrets", "key-mode"]
    public static let authentication = Authentication.keys("secret")
    public static let signingKeyKind = SigningKeyKind.secret

    static let statusWords = StatusWords([
        "CREATED": .created, "IN_PROGRESS": .inProgress, "COMPLETED": .completed, "FAILED": .failed,
    ])

    /// The route's webhook secrets: one, or during a rotation the new one and the old ones.
    public var secrets: [SecretSource]
    /// The one secret (the first of several).
    public var secret: SecretSource? {
        get { secrets.first }
        set { secrets = newValue.map { [$0] } ?? [] }
    }
    /// How the secret becomes HMAC key bytes; for signing, `auto` means standard for a `whsec_`
    /// secret and raw otherwise.
    public var keyMode: KeyMode

    public init(secret: SecretSource? = nil, secrets: [SecretSource] = [], keyMode: KeyMode = .auto) {
        self.secrets = (secret.map { [$0] } ?? []) + secrets
        self.keyMode = keyMode
    }

    public init() {
        self.init(secret: nil)
    }

    public init(settings: SettingsMapping, warnings: inout [String]) throws(SettingError) {
        self.init(
            secrets: try settings.secrets(warnings: &warnings),
            keyMode: try settings["key-mode"]?.requireOneOf(
                Dictionary(uniqueKeysWithValues: KeyMode.allCases.map { ($0.rawValue, $0) })) ?? .auto)
    }

    public var hasKeys: Bool { !secrets.isEmpty }

    public func verifier(keys: any KeyLoader, toleranceSeconds: Int64) throws(ProviderConfigurationError)
        -> (any SignatureVerifier)?
    {
        guard !secrets.isEmpty else { return nil }
        let texts = try keys.texts(of: secrets, for: "secret")
        do {
            return try FreepikVerifier(secrets: texts, keyMode: keyMode, toleranceSeconds: toleranceSeconds)
        } catch {
            throw ProviderConfigurationError("secret: \(error.reason)")
        }
    }

    public var statusWords: StatusWords { Self.statusWords }

    public func sign(_ body: [UInt8], taskID: String, deliveryID: String, timestamp: Int64, with key: SigningKey)
        throws(ProviderConfigurationError) -> [Delivery.Header]
    {
        guard case .secret(let secret) = key else {
            throw ProviderConfigurationError("Freepik signs with the route's secret, not an Ed25519 key")
        }
        let mode = keyMode != .auto ? keyMode : secret.hasPrefix("whsec_") ? .standard : .raw
        guard let bytes = try FreepikVerifier.keyBytes(secret, mode: mode).first else {
            throw ProviderConfigurationError("the Freepik webhook secret gives no key")
        }
        return StandardWebhooksScheme.sign(
            body, id: deliveryID, timestamp: timestamp, key: .hmac(SymmetricKey(data: bytes)))
    }

    public func testBody(taskID: String, status: TaskStatus, resultURL: String) throws(ProviderConfigurationError)
        -> [UInt8]?
    {
        let word = try statusWords.requireWord(for: status, provider: Self.name)
        let generated: JSON = status == .completed ? [.string(resultURL)] : []
        let body: JSON = ["task_id": .string(taskID), "status": .string(word), "generated": generated]
        return body.bytes
    }

    /// The wrapped `{"data": {…}}` form is accepted too; unknown fields are ignored.
    public func normalize(_ callback: Callback) -> Normalized {
        do throws(PayloadProblem) {
            let task = try TaskObject(body: callback.body, unwrappingDataWithout: "task_id")
            let event = TaskEvent(
                taskID: try task.identifier("task_id"),
                provider: Self.name,
                status: try task.status("status", provider: "Freepik", words: Self.statusWords),
                results: (task["generated"]?.array ?? []).compactMap { $0.string })
            return .events([event], note: nil)
        } catch {
            return .unparsed(reason: error.reason)
        }
    }
}
