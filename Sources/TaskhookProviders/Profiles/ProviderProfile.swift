import Crypto
import TaskhookCore

/// Everything taskhook knows about one provider, in one type: the route keys it accepts (read once,
/// into typed values), how its callbacks are verified and how that is undone (its signer), how its
/// bodies become task events, its delivery id, the headers a journal record keeps, and its status
/// words in both directions. A value of it is one route's configuration of that provider.
///
/// Adding a provider is one new conforming type (and its tests), listed in `ProviderProfiles.all`.
public protocol ProviderProfile: PayloadNormalizer {
    /// The word a route names it by (`provider: freepik`).
    static var name: String { get }
    /// The route keys it reads, beside those every route has (path, provider, token, tolerance,
    /// allow-unsigned). A key another provider reads is refused on its routes with a reason.
    static var settingKeys: [String] { get }
    /// What authenticates its callbacks, which decides what a route without it must add.
    static var authentication: Authentication { get }
    /// What signs a test callback (`taskhook send-test`).
    static var signingKeyKind: SigningKeyKind { get }
    /// Why its routes refuse `key`, which another provider reads; nil to say only which providers
    /// read it.
    static func refusal(of key: String) -> String?
    /// The largest body its routes take unless a route says `max-body` (1 MiB by default).
    static var defaultMaxBody: Int { get }

    /// The profile of a route with none of its keys: for signing test callbacks.
    init()
    /// Reads its keys from a route's settings; every error names the key's path and line. Keys it
    /// does not read are left for the caller's `finish()`.
    init(settings: SettingsMapping, warnings: inout [String]) throws(SettingError)

    /// The `provider` of the events it produces: its name, or the route's own (`standard-webhooks`).
    var eventProvider: String { get }
    /// Whether the route names a key to verify callbacks with.
    var hasKeys: Bool { get }
    /// The route's verifier, its keys read through `keys`; nil when the route names none.
    func verifier(keys: any KeyLoader, toleranceSeconds: Int64) throws(ProviderConfigurationError)
        -> (any SignatureVerifier)?

    /// The provider's own id for one delivery, the same when it retries it; nil where it sends none.
    func deliveryID(of callback: Callback) -> String?
    /// Whether a journal record keeps this request header (name in lower case), beside the ones every
    /// route keeps: at least every header its verifier reads, so a record can be verified again.
    func keepsOwnHeader(_ name: String) -> Bool

    /// Its status words and what they mean.
    var statusWords: StatusWords { get }
    /// The headers that sign `body` as the provider would, the inverse of its verifier: for the task
    /// `taskID` (fal's request id), as the delivery `deliveryID` (Standard Webhooks' `webhook-id`).
    func sign(
        _ body: [UInt8], taskID: String, deliveryID: String, timestamp: Int64, with key: SigningKey
    ) throws(ProviderConfigurationError) -> [Delivery.Header]
    /// A callback body as the provider would send it for a task in `status`, with `resultURL` as
    /// its result when completed: the inverse of its normalizer. nil when the body's shape is the
    /// sender's own (`standard-webhooks`); an error when the provider has no word for `status`.
    func testBody(taskID: String, status: TaskStatus, resultURL: String) throws(ProviderConfigurationError) -> [UInt8]?
}

extension ProviderProfile {
    public var eventProvider: String { Self.name }

    /// Whether a journal record keeps this request header (name in lower case): the profile's own,
    /// and what describes the body and its sender.
    public func keepsHeader(_ name: String) -> Bool {
        name == "content-type" || name == "user-agent" || name == "content-length" || keepsOwnHeader(name)
    }

    /// What a route must add before callbacks on it can be trusted, or nil when nothing: the one
    /// place where "no verification" is decided.
    public func missingVerification(hasToken: Bool, allowUnsigned: Bool) -> String? {
        if allowUnsigned { return nil }
        switch Self.authentication {
        case .keys(let names): return hasKeys ? nil : names
        case .pathToken(let why): return hasToken ? nil : "token (\(why); the path token authenticates)"
        }
    }

    public static func refusal(of key: String) -> String? { nil }

    public static var defaultMaxBody: Int { 1024 * 1024 }
}

/// What authenticates a provider's callbacks.
public enum Authentication: Sendable {
    /// Signatures, checked with the route keys named here ("secret", "secret or public-key").
    case keys(String)
    /// Nothing the provider sends: only a secret path token on the route, for this reason.
    case pathToken(String)
}

/// What a test callback of a provider is signed with.
public enum SigningKeyKind: Sendable {
    /// Nothing: the provider signs nothing.
    case none
    /// The route's shared secret.
    case secret
    /// An Ed25519 private key whose public half the route trusts.
    case ed25519
    /// Either.
    case secretOrEd25519
}

/// The key a test callback is signed with, as the sender holds it.
public enum SigningKey: Sendable {
    /// A shared secret as a route is configured with it (`whsec_…`, or Freepik's raw secret).
    case secret(String)
    /// An Ed25519 private key (fal; Standard Webhooks v1a).
    case ed25519(Curve25519.Signing.PrivateKey)
}

/// What a profile needs from the daemon to build a route's verifier: the text of its secrets, and
/// keys in a file that is replaced while the daemon runs.
public protocol KeyLoader {
    /// The text of the secret the route key `key` names, without a trailing newline. The error names
    /// the key and the source, never the secret.
    func text(of source: SecretSource, for key: String) throws(ProviderConfigurationError) -> String
    /// A verifier over the keys in the file at `path` (`key` is the route key naming it, `label` what
    /// logs call it): built from the file's bytes now, and again whenever the file is replaced.
    func verifier(
        reloading path: String, key: String, label: String,
        build:
            @escaping @Sendable ([UInt8]) throws(ProviderConfigurationError) -> (any SignatureVerifier, keyCount: Int)
    ) throws(ProviderConfigurationError) -> any SignatureVerifier
}

/// A provider that signs the Standard Webhooks way (`webhook-id`, `webhook-timestamp`,
/// `webhook-signature`): its delivery id and the headers it keeps come from the scheme.
public protocol StandardWebhooksSender: ProviderProfile {}

extension StandardWebhooksSender {
    public func deliveryID(of callback: Callback) -> String? { StandardWebhooksScheme.deliveryID(of: callback) }

    public func keepsOwnHeader(_ name: String) -> Bool { StandardWebhooksScheme.isSchemeHeader(name) }
}
