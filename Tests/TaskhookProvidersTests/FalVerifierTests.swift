import TaskhookCore
import Testing

@testable import TaskhookProviders

@Suite struct FalVerifierTests {
    typealias V = Fixtures.Fal

    let verifier = try! FalVerifier(jwks: Array(V.jwks.utf8))
    static let noMatch = VerificationFailure("x-fal-webhook-signature does not verify with the one JWKS key")

    @Test func theFalVectorVerifiesAtItsTimestamp() {
        #expect(verifier.verify(Fixtures.fal()) == nil)
    }

    @Test func anUpperCaseHexSignatureVerifies() {
        #expect(verifier.verify(Fixtures.fal(signature: V.signature.uppercased())) == nil)
    }

    @Test(arguments: [-300, 300] as [Int64])
    func timestampsAtTheToleranceAreAccepted(offset: Int64) {
        #expect(verifier.verify(Fixtures.fal(at: V.timestamp + offset)) == nil)
    }

    @Test func aStaleTimestampIsRejected() {
        #expect(
            verifier.verify(Fixtures.fal(at: V.timestamp + 301))
                == VerificationFailure("x-fal-webhook-timestamp is 301 s old; tolerance is 300 s"))
    }

    @Test func aFutureTimestampIsRejected() {
        #expect(
            verifier.verify(Fixtures.fal(at: V.timestamp - 301))
                == VerificationFailure("x-fal-webhook-timestamp is 301 s in the future; tolerance is 300 s"))
    }

    @Test func aTamperedBodyDoesNotVerify() {
        let body = V.body.replacing("output.mp4", with: "outpuT.mp4", maxReplacements: 1)
        #expect(verifier.verify(Fixtures.fal(body: body)) == Self.noMatch)
    }

    @Test func aTamperedRequestIDDoesNotVerify() {
        #expect(verifier.verify(Fixtures.fal(requestID: "123e4567-e89b-12d3-a456-426614174001")) == Self.noMatch)
    }

    @Test func aTamperedUserIDDoesNotVerify() {
        #expect(verifier.verify(Fixtures.fal(userID: "user-124")) == Self.noMatch)
    }

    @Test func aTamperedTimestampDoesNotVerify() {
        #expect(verifier.verify(Fixtures.fal(timestamp: "1700000001", at: V.timestamp)) == Self.noMatch)
    }

    @Test func everySingleBitFlipInTheSignatureIsRejected() {
        var signature = Hex.decode(V.signature)!
        for index in stride(from: 0, to: signature.count, by: 7) {
            signature[index] ^= 0x01
            #expect(verifier.verify(Fixtures.fal(signature: Hex.encode(signature))) == Self.noMatch)
            signature[index] ^= 0x01
        }
    }

    // Computed with Python `cryptography`: the same message signed by the RFC 8032 TEST 2 key.
    static let test2Signature =
        "6f047fd6a4fbf4193c14ffcd018b53eb63c591602e87c93f56592024f9366c94"
        + "747d107c5a732e33af921a3dde935ad21be1797b6ffc216804b721cf22bb9502"

    @Test func aSignatureByAKeyOutsideTheJWKSIsRejected() {
        #expect(verifier.verify(Fixtures.fal(signature: Self.test2Signature)) == Self.noMatch)
    }

    @Test func anyKeyOfTheJWKSMayMatch() throws {
        let jwks =
            #"{"keys":[{"kty":"OKP","crv":"Ed25519","x":"\#(Fixtures.Ed25519Keys.test1X)"},"#
            + #"{"kty":"OKP","crv":"Ed25519","x":"\#(Fixtures.Ed25519Keys.test2X)"}]}"#
        let rotated = try FalVerifier(jwks: Array(jwks.utf8))
        #expect(rotated.verify(Fixtures.fal(signature: Self.test2Signature)) == nil)
        #expect(rotated.verify(Fixtures.fal()) == nil)
        #expect(
            rotated.verify(Fixtures.fal(userID: "someone-else"))
                == VerificationFailure("x-fal-webhook-signature does not verify with any of the 2 JWKS keys"))
    }

    @Test(arguments: [
        "x-fal-webhook-request-id", "x-fal-webhook-user-id", "x-fal-webhook-timestamp", "x-fal-webhook-signature",
    ])
    func aMissingHeaderIsNamed(missing: String) {
        var callback = Fixtures.fal()
        callback.headers.removeAll { $0.name == missing }
        #expect(verifier.verify(callback) == VerificationFailure("no \(missing) header"))
    }

    @Test(arguments: [
        ("zz", "x-fal-webhook-signature is not 128 hex digits (2 characters)"),
        ("", "x-fal-webhook-signature is not 128 hex digits (0 characters)"),
        (String(Fixtures.Fal.signature.dropLast(2)), "x-fal-webhook-signature is not 128 hex digits (126 characters)"),
        (Fixtures.Fal.signature + "00", "x-fal-webhook-signature is not 128 hex digits (130 characters)"),
    ])
    func aMalformedSignatureIsRejected(signature: String, reason: String) {
        #expect(verifier.verify(Fixtures.fal(signature: signature)) == VerificationFailure(reason))
    }

    @Test func aNonIntegerTimestampIsRejected() {
        #expect(
            verifier.verify(Fixtures.fal(timestamp: "1700000000.5"))
                == VerificationFailure(#"x-fal-webhook-timestamp is not an integer ("1700000000.5")"#))
    }

    @Test func aVerifierWithoutKeysRejectsEverything() {
        #expect(
            FalVerifier(keys: []).verify(Fixtures.fal())
                == VerificationFailure("no fal public keys are configured (empty JWKS)"))
    }
}
