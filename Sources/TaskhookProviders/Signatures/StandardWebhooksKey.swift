import Crypto
import TaskhookCore

/// A key a Standard Webhooks route trusts: an HMAC secret checks `v1` entries, an Ed25519 public key
/// checks `v1a` entries. A route may hold several (key rotation); any match is enough.
public enum StandardWebhooksKey: Sendable {
    /// `v1`: HMAC-SHA256 with these key bytes.
    case hmac(SymmetricKey)
    /// `v1a`: Ed25519 with this public key.
    case ed25519(Curve25519.Signing.PublicKey)

    /// Reads a key as Standard Webhooks serializes it: `whsec_<base64>` (or bare base64) is an HMAC
    /// secret, `whpk_<base64>` an Ed25519 public key. Base64 padding is optional.
    public init(parsing text: String) throws(ProviderConfigurationError) {
        if text.hasPrefix("whpk_") {
            let encoded = text.dropFirst("whpk_".count)
            guard let bytes = Base64.decode(encoded, alphabet: .standard) else {
                throw ProviderConfigurationError("the whpk_ public key is not base64 after its prefix")
            }
            guard bytes.count == 32, let key = try? Curve25519.Signing.PublicKey(rawRepresentation: bytes) else {
                throw ProviderConfigurationError(
                    "the whpk_ public key decodes to \(bytes.count) bytes; an Ed25519 public key is 32")
            }
            self = .ed25519(key)
        } else if text.hasPrefix("whsk_") {
            throw ProviderConfigurationError(
                "a whsk_ key is the sender's private signing key; configure its whpk_ public key instead")
        } else {
            self = .hmac(SymmetricKey(data: try Self.secretBytes(text)))
        }
    }

    /// The HMAC key bytes of a `whsec_<base64>` (or bare base64) secret.
    static func secretBytes(_ text: String) throws(ProviderConfigurationError) -> [UInt8] {
        let encoded = text.hasPrefix("whsec_") ? text.dropFirst("whsec_".count) : Substring(text)
        guard !encoded.isEmpty else { throw ProviderConfigurationError("the webhook secret is empty") }
        guard let bytes = Base64.decode(encoded, alphabet: .standard), !bytes.isEmpty else {
            throw ProviderConfigurationError("the webhook secret is not base64 (expected whsec_ followed by base64)")
        }
        return bytes
    }

    /// The signature version this key checks.
    var version: String {
        switch self {
        case .hmac: "v1"
        case .ed25519: "v1a"
        }
    }
}
