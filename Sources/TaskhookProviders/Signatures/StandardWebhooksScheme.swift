import Crypto
import TaskhookCore

/// What every Standard Webhooks sender (Freepik, Replicate, `standard-webhooks` routes) has in
/// common besides the verifier: its headers, its delivery id, and how a callback is signed.
enum StandardWebhooksScheme {
    /// A key a test callback is signed with.
    enum SigningKey {
        /// `v1`: HMAC-SHA256.
        case hmac(SymmetricKey)
        /// `v1a`: Ed25519.
        case ed25519(Curve25519.Signing.PrivateKey)
    }

    /// `webhook-id`, `webhook-timestamp`, `webhook-signature`: the headers the verifier reads.
    static func isSchemeHeader(_ name: String) -> Bool { name.hasPrefix("webhook-") }

    /// `webhook-id`, which stays the same when the sender retries; nil when missing or empty.
    static func deliveryID(of callback: Callback) -> String? {
        guard let id = callback.header("webhook-id"), !id.isEmpty else { return nil }
        return id
    }

    /// The three headers signing `body`: `v1,<base64 HMAC>` or `v1a,<base64 Ed25519 signature>`
    /// over `id.timestamp.body`.
    static func sign(_ body: [UInt8], id: String, timestamp: Int64, key: SigningKey) -> [Delivery.Header] {
        let content = Array("\(id).\(timestamp).".utf8) + body
        let entry: String
        switch key {
        case .hmac(let secret):
            entry = "v1," + Base64.encode(HMAC<SHA256>.authenticationCode(for: content, using: secret))
        case .ed25519(let privateKey):
            // Signing only fails for a key the library cannot use, which a parsed key never is.
            let signature = (try? privateKey.signature(for: content)).map { Array($0) } ?? []
            entry = "v1a," + Base64.encode(signature)
        }
        return [
            Delivery.Header(name: "webhook-id", value: id),
            Delivery.Header(name: "webhook-timestamp", value: String(timestamp)),
            Delivery.Header(name: "webhook-signature", value: entry),
        ]
    }
}
