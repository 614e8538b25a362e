import Crypto
import TaskhookCore

/// The bearer token Kling's API takes: a JWT (HS256) issued by the access key, signed with the
/// secret key, valid from 5 s before `now` for 30 minutes (Kling's own sample code does the same).
public enum KlingToken {
    public static let lifetimeSeconds: Int64 = 1800

    public static func make(accessKey: String, secretKey: String, now: Int64) -> String {
        let header: JSON = ["alg": "HS256", "typ": "JWT"]
        let claims: JSON = [
            "iss": .string(accessKey), "exp": .integer(now + lifetimeSeconds), "nbf": .integer(now - 5),
        ]
        let signingInput =
            Base64.encode(header.bytes, alphabet: .url) + "." + Base64.encode(claims.bytes, alphabet: .url)
        let mac = HMAC<SHA256>.authenticationCode(
            for: Array(signingInput.utf8), using: SymmetricKey(data: Array(secretKey.utf8)))
        return signingInput + "." + Base64.encode(mac, alphabet: .url)
    }

    /// Whether `token` was made by `make` with this secret key and is valid at `now`: what the
    /// simulator checks, as Kling does.
    public static func isValid(_ token: String, accessKey: String, secretKey: String, now: Int64) -> Bool {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let signature = Base64.decode(parts[2], alphabet: .url),
            let claimBytes = Base64.decode(parts[1], alphabet: .url),
            let claims = try? JSON.parse(claimBytes)
        else { return false }
        let signingInput = Array("\(parts[0]).\(parts[1])".utf8)
        guard
            HMAC<SHA256>.isValidAuthenticationCode(
                signature, authenticating: signingInput, using: SymmetricKey(data: Array(secretKey.utf8)))
        else { return false }
        guard claims["iss"]?.string == accessKey, let exp = claims["exp"]?.int64, let nbf = claims["nbf"]?.int64
        else { return false }
        return nbf <= now && now < exp
    }
}
