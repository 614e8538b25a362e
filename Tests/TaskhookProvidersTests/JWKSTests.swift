import TaskhookCore
import Testing

@testable import TaskhookProviders

@Suite struct JWKSTests {
    static func parse(_ text: String) throws(ProviderConfigurationError) -> Int {
        try JWKS.parse(Array(text.utf8)).count
    }

    @Test func theJWKSOfTheFalVectorHoldsItsKey() throws {
        let keys = try JWKS.parse(Array(Fixtures.Fal.jwks.utf8))
        #expect(keys.count == 1)
        #expect(
            Hex.encode(keys[0].rawRepresentation) == "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
    }

    @Test(arguments: [
        "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo", "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo=",
    ])
    func xMayBePaddedOrNot(x: String) throws {
        #expect(try Self.parse(#"{"keys":[{"kty":"OKP","crv":"Ed25519","x":"\#(x)"}]}"#) == 1)
    }

    @Test func keysOfOtherTypesAreSkipped() throws {
        let jwks =
            #"{"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB"},"#
            + #"{"kty":"OKP","crv":"Ed25519","x":"\#(Fixtures.Ed25519Keys.test2X)","kid":"k2","use":"sig"}]}"#
        #expect(try Self.parse(jwks) == 1)
    }

    @Test(arguments: [
        ("", "the JWKS is not JSON: expected a value, found the end of the document at byte 0"),
        (#"{"keys":[}"#, "the JWKS is not JSON: expected a value, found '}' at byte 9"),
        ("[]", #"the JWKS is an array, not a JSON object with "keys""#),
        ("{}", #"the JWKS has no "keys" array"#),
        (#"{"keys":{}}"#, #"the JWKS has no "keys" array (it is an object)"#),
        (#"{"keys":[]}"#, "the JWKS has no OKP/Ed25519 key (it is empty)"),
        (
            #"{"keys":[{"kty":"RSA"},{"kty":"OKP","crv":"X25519"}]}"#,
            "the JWKS has no OKP/Ed25519 key (found RSA, OKP/X25519)"
        ),
        (#"{"keys":["abc"]}"#, "JWKS key 0 is a string, not an object"),
        (#"{"keys":[{"kty":"OKP","crv":"Ed25519"}]}"#, #"JWKS key 0 has no "x" string"#),
        (
            #"{"keys":[{"kty":"OKP","crv":"Ed25519","kid":"k1","x":"11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}"#,
            #"JWKS key 0 (kid "k1") has an "x" that is not base64url"#
        ),
        (
            #"{"keys":[{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHUR"}]}"#,
            #"JWKS key 0 has an "x" of 31 bytes; an Ed25519 public key is 32"#
        ),
    ])
    func aBadFileIsRefusedWithItsReason(text: String, reason: String) {
        #expect(throws: ProviderConfigurationError(reason)) { try Self.parse(text) }
    }
}
