import Crypto

/// Freepik's callbacks: Standard Webhooks headers and HMAC-SHA256 `v1` entries, but Freepik's own docs
/// disagree on the HMAC key (their Python/JS/Java samples use the secret's UTF-8 bytes, their PHP sample
/// base64-decodes it), so the key derivation is a setting.
public struct FreepikVerifier: SignatureVerifier {
    public enum KeyMode: String, Sendable, CaseIterable {
        /// Both keys below; either may match.
        case auto
        /// Standard Webhooks: base64-decode what follows `whsec_` (or the whole secret without the prefix).
        case standard
        /// The UTF-8 bytes of the secret exactly as given, prefix included.
        case raw
    }

    private let standardWebhooks: StandardWebhooksVerifier

    /// `secrets` holds the current secret and, during a rotation, the previous ones.
    public init(secrets: [String], keyMode: KeyMode = .auto, toleranceSeconds: Int64 = 300)
        throws(ProviderConfigurationError)
    {
        var keys: [StandardWebhooksKey] = []
        for secret in secrets {
            for bytes in try Self.keyBytes(secret, mode: keyMode) { keys.append(.hmac(SymmetricKey(data: bytes))) }
        }
        standardWebhooks = StandardWebhooksVerifier(
            keys: keys, toleranceSeconds: toleranceSeconds, keyNote: "key-mode \(keyMode.rawValue)",
            checksNumberedVersions: true)
    }

    public func verify(_ callback: Callback) -> VerificationFailure? {
        standardWebhooks.verify(callback)
    }

    /// The HMAC keys one secret stands for under `mode`.
    static func keyBytes(_ secret: String, mode: KeyMode) throws(ProviderConfigurationError) -> [[UInt8]] {
        guard !secret.isEmpty else { throw ProviderConfigurationError("the Freepik webhook secret is empty") }
        switch mode {
        case .raw:
            return [Array(secret.utf8)]
        case .standard:
            do {
                return [try StandardWebhooksKey.secretBytes(secret)]
            } catch {
                throw ProviderConfigurationError("\(error.reason); with key-mode standard it must be")
            }
        case .auto:
            // A secret that is not base64 can only be meant raw.
            let standard = (try? StandardWebhooksKey.secretBytes(secret)).map { [$0] } ?? []
            return standard + [Array(secret.utf8)]
        }
    }
}
