import Crypto
import TaskhookCore

/// A JSON Web Key Set (RFC 7517) as fal publishes its webhook keys:
/// `{"keys":[{"kty":"OKP","crv":"Ed25519","x":"<base64url>"}, …]}`.
public enum JWKS {
    /// The Ed25519 public keys in the set. Keys of other types are skipped, as RFC 7517 §5 asks; a set
    /// with no Ed25519 key at all, or an Ed25519 key that cannot be read, is an error naming the key.
    public static func parse(_ bytes: [UInt8]) throws(ProviderConfigurationError) -> [Curve25519.Signing.PublicKey] {
        let document: JSON
        do {
            document = try JSONParser.parse(bytes)
        } catch {
            throw ProviderConfigurationError("the JWKS is not JSON: \(error)")
        }
        guard document.isObject else {
            throw ProviderConfigurationError("the JWKS is \(document.kind), not a JSON object with \"keys\"")
        }
        guard let entries = document["keys"]?.array else {
            let found = document["keys"].map { " (it is \($0.kind))" } ?? ""
            throw ProviderConfigurationError("the JWKS has no \"keys\" array\(found)")
        }

        var keys: [Curve25519.Signing.PublicKey] = []
        var skipped: [String] = []
        for (index, entry) in entries.enumerated() {
            guard entry.isObject else {
                throw ProviderConfigurationError("JWKS key \(index) is \(entry.kind), not an object")
            }
            let kty = entry["kty"]?.string
            let crv = entry["crv"]?.string
            guard kty == "OKP", crv == "Ed25519" else {
                skipped.append([kty, crv].compactMap { $0 }.joined(separator: "/"))
                continue
            }
            keys.append(try publicKey(entry, name: name(of: entry, index: index)))
        }
        guard !keys.isEmpty else {
            let others = skipped.isEmpty ? "it is empty" : "found \(skipped.joined(separator: ", "))"
            throw ProviderConfigurationError("the JWKS has no OKP/Ed25519 key (\(others))")
        }
        return keys
    }

    /// Several key sets (one per host fal publishes them on) as one: every key entry of each, in
    /// order, a key that several hosts serve listed once.
    public static func merge(_ sets: [[UInt8]]) throws(ProviderConfigurationError) -> [UInt8] {
        var entries: [JSON] = []
        for bytes in sets {
            _ = try parse(bytes)
            let document: JSON
            do {
                document = try JSONParser.parse(bytes)
            } catch {
                throw ProviderConfigurationError("the JWKS is not JSON: \(error)")
            }
            for entry in document["keys"]?.array ?? [] where !entries.contains(entry) { entries.append(entry) }
        }
        return JSON.object([("keys", .array(entries))]).bytes
    }

    private static func publicKey(_ entry: JSON, name: String) throws(ProviderConfigurationError)
        -> Curve25519.Signing.PublicKey
    {
        guard let x = entry["x"]?.string else {
            throw ProviderConfigurationError("\(name) has no \"x\" string")
        }
        guard let bytes = Base64.decode(x, alphabet: .url) else {
            throw ProviderConfigurationError("\(name) has an \"x\" that is not base64url")
        }
        guard bytes.count == 32, let key = try? Curve25519.Signing.PublicKey(rawRepresentation: bytes) else {
            throw ProviderConfigurationError(
                "\(name) has an \"x\" of \(bytes.count) bytes; an Ed25519 public key is 32")
        }
        return key
    }

    private static func name(of entry: JSON, index: Int) -> String {
        guard let kid = entry["kid"]?.string else { return "JWKS key \(index)" }
        return "JWKS key \(index) (kid \(kid.quotedForReason))"
    }
}
