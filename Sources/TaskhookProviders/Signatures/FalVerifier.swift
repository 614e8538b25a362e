import Crypto
import TaskhookCore

/// fal.ai's callbacks: Ed25519 over `request_id \n user_id \n timestamp \n hex(sha256(body))`, the
/// signature in hex, the public keys from fal's JWKS (any may match), and a ±300 s window.
public struct FalVerifier: SignatureVerifier {
    static let requestIDHeader = "x-fal-webhook-request-id"
    static let userIDHeader = "x-fal-webhook-user-id"
    static let timestampHeader = "x-fal-webhook-timestamp"
    static let signatureHeader = "x-fal-webhook-signature"

    public let keys: [Curve25519.Signing.PublicKey]
    public let toleranceSeconds: Int64

    public init(keys: [Curve25519.Signing.PublicKey], toleranceSeconds: Int64 = 300) {
        self.keys = keys
        self.toleranceSeconds = toleranceSeconds
    }

    /// Keys from the bytes of a JWKS file (see `JWKS.parse`).
    public init(jwks: [UInt8], toleranceSeconds: Int64 = 300) throws(ProviderConfigurationError) {
        self.init(keys: try JWKS.parse(jwks), toleranceSeconds: toleranceSeconds)
    }

    public func verify(_ callback: Callback) -> VerificationFailure? {
        var values: [String] = []
        for name in [Self.requestIDHeader, Self.userIDHeader, Self.timestampHeader, Self.signatureHeader] {
            guard let value = callback.header(name) else { return VerificationFailure("no \(name) header") }
            values.append(value)
        }
        let (requestID, userID, timestamp, signatureText) = (values[0], values[1], values[2], values[3])

        let window = TimestampWindow(toleranceSeconds: toleranceSeconds)
        if let failure = window.check(timestamp, header: Self.timestampHeader, now: callback.receivedAt) {
            return failure
        }
        guard let signature = Hex.decode(signatureText), signature.count == 64 else {
            return VerificationFailure(
                "\(Self.signatureHeader) is not 128 hex digits (\(signatureText.utf8.count) characters)")
        }
        guard !keys.isEmpty else { return VerificationFailure("no fal public keys are configured (empty JWKS)") }

        let message = Self.signedContent(
            requestID: requestID, userID: userID, timestamp: timestamp, body: callback.body)
        if keys.contains(where: { $0.isValidSignature(signature, for: message) }) { return nil }
        let tried = keys.count == 1 ? "the one JWKS key" : "any of the \(keys.count) JWKS keys"
        return VerificationFailure("\(Self.signatureHeader) does not verify with \(tried)")
    }

    /// What fal signs. Header values are signed verbatim; the body's digest in lower-case hex, as
    /// Python's hexdigest().
    static func signedContent(requestID: String, userID: String, timestamp: String, body: [UInt8]) -> [UInt8] {
        let bodyDigest = Hex.encode(SHA256.hash(data: body))
        return Array("\(requestID)\n\(userID)\n\(timestamp)\n\(bodyDigest)".utf8)
    }

    /// The four headers fal sends with `body`, signed with `key`: the inverse of `verify`.
    static func sign(
        _ body: [UInt8], requestID: String, userID: String, timestamp: Int64, key: Curve25519.Signing.PrivateKey
    ) -> [Delivery.Header] {
        let content = signedContent(requestID: requestID, userID: userID, timestamp: String(timestamp), body: body)
        // Signing only fails for a key the library cannot use, which a parsed key never is.
        let signature = (try? key.signature(for: content)).map { Array($0) } ?? []
        return [
            Delivery.Header(name: requestIDHeader, value: requestID),
            Delivery.Header(name: userIDHeader, value: userID),
            Delivery.Header(name: timestampHeader, value: String(timestamp)),
            Delivery.Header(name: signatureHeader, value: Hex.encode(signature)),
        ]
    }
}
