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

        // Header values are signed verbatim; the body's digest in lower-case hex, as Python's hexdigest().
        let bodyDigest = Hex.encode(SHA256.hash(data: callback.body))
        let message = Array("\(requestID)\n\(userID)\n\(timestamp)\n\(bodyDigest)".utf8)
        if keys.contains(where: { $0.isValidSignature(signature, for: message) }) { return nil }
        let tried = keys.count == 1 ? "the one JWKS key" : "any of the \(keys.count) JWKS keys"
        return VerificationFailure("\(Self.signatureHeader) does not verify with \(tried)")
    }
}
