import Crypto
import TaskhookCore

/// Replicate's prediction callbacks: Standard Webhooks HMAC-SHA256, and the prediction object
/// `{"id", "status", "output", "error", …}` as the body.
public struct ReplicateProfile: StandardWebhooksSender, Equatable {
    public static let name = "replicate"
    public static let settingKeys = ["secret", "secrets"]
    public static let authentication = Authentication.keys("secret")
    public static let signingKeyKind = SigningKeyKind.secret
    /// A prediction callback echoes the prediction's `input` (images as data URIs: a 7 MB image
    /// is about 9.5 MB of base64) and its `logs`; Replicate retries only the final callback, and
    /// only for about a minute, so a 413 there loses it.
    public static let defaultMaxBody = 10 * 1024 * 1024

    /// `aborted` is newer than Replicate's webhook docs (replicate-python #460); it ends a prediction
    /// without a result, as `canceled` does.
    static let statusWords = StatusWords([
        "starting": .created, "processing": .inProgress, "succeeded": .completed, "failed": .failed,
        "canceled": .canceled, "aborted": .canceled,
    ])

    /// The route's `whsec_…` webhook secrets: one, or during a rotation the new one and the old ones.
    public var secrets: [SecretSource]
    /// The one secret (the first of several).
    public var secret: SecretSource? {
        get { secrets.first }
        set { secrets = newValue.map { [$0] } ?? [] }
    }

    public init(secret: SecretSource? = nil, secrets: [SecretSource] = []) {
        self.secrets = (secret.map { [$0] } ?? []) + secrets
    }

    public init() {
        self.init(secret: nil)
    }

    public init(settings: SettingsMapping, warnings: inout [String]) throws(SettingError) {
        self.init(secrets: try settings.secrets(warnings: &warnings))
    }

    public var hasKeys: Bool { !secrets.isEmpty }

    public func verifier(keys: any KeyLoader, toleranceSeconds: Int64) throws(ProviderConfigurationError)
        -> (any SignatureVerifier)?
    {
        guard !secrets.isEmpty else { return nil }
        let texts = try keys.texts(of: secrets, for: "secret")
        do {
            return try StandardWebhooksVerifier(secrets: texts, toleranceSeconds: toleranceSeconds)
        } catch {
            throw ProviderConfigurationError("secret: \(error.reason)")
        }
    }

    public var statusWords: StatusWords { Self.statusWords }

    public func sign(_ body: [UInt8], taskID: String, deliveryID: String, timestamp: Int64, with key: SigningKey)
        throws(ProviderConfigurationError) -> [Delivery.Header]
    {
        guard case .secret(let secret) = key else {
            throw ProviderConfigurationError("Replicate signs with the route's secret, not an Ed25519 key")
        }
        let bytes = try StandardWebhooksKey.secretBytes(secret)
        return StandardWebhooksScheme.sign(
            body, id: deliveryID, timestamp: timestamp, key: .hmac(SymmetricKey(data: bytes)))
    }

    public func testBody(taskID: String, status: TaskStatus, resultURL: String) throws(ProviderConfigurationError)
        -> [UInt8]?
    {
        let word = try statusWords.requireWord(for: status, provider: Self.name)
        var body: [(key: String, value: JSON)] = [
            ("id", .string(taskID)), ("status", .string(word)), ("model", "kwaivgi/kling-v2.1"),
            ("output", status == .completed ? [.string(resultURL)] : .null),
        ]
        if status == .failed { body.append(("error", "the test callback's failure")) }
        return JSON.object(body).bytes
    }

    /// `output` is a URL, a list of URLs, or (for some models) an object holding them.
    public func normalize(_ callback: Callback) -> Normalized {
        do throws(PayloadProblem) {
            let task = try TaskObject(body: callback.body)
            let event = TaskEvent(
                taskID: try task.identifier("id"),
                provider: Self.name,
                status: try task.status("status", provider: "Replicate", words: Self.statusWords),
                results: TaskObject.httpURLs(in: [task["output"] ?? .null]),
                error: task.text("error"))
            return .events([event], note: nil)
        } catch {
            return .unparsed(reason: error.reason)
        }
    }
}
