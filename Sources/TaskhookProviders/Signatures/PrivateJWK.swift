import Crypto
import TaskhookCore

extension JWKS {
    /// The Ed25519 private key of a JSON Web Key (`{"kty":"OKP","crv":"Ed25519","d":"<base64url>"}`),
    /// as `taskhook send-test --key` takes it to sign as fal does; its public half belongs in the
    /// route's JWKS.
    public static func privateKey(_ bytes: [UInt8]) throws(ProviderConfigurationError)
        -> Curve25519.Signing.PrivateKey
    {
        let document: JSON
        do {
            document = try JSON.parse(bytes)
        } catch {
            throw ProviderConfigurationError("the key is not JSON: \(error)")
        }
        guard document["kty"]?.string == "OKP", document["crv"]?.string == "Ed25519", let d = document["d"]?.string
        else {
            throw ProviderConfigurationError("not a private Ed25519 JWK (kty OKP, crv Ed25519, d)")
        }
        guard let seed = Base64.decode(d, alphabet: .url), seed.count == 32,
            let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: seed)
        else {
            throw ProviderConfigurationError("the JWK's \"d\" is not a base64url Ed25519 private key of 32 bytes")
        }
        return key
    }
}

extension SigningKey {
    /// The Ed25519 key of a private JWK file's bytes (see `JWKS.privateKey`).
    public init(privateJWK bytes: [UInt8]) throws(ProviderConfigurationError) {
        self = .ed25519(try JWKS.privateKey(bytes))
    }
}
