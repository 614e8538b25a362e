import Crypto
import TaskhookCore
import Testing

@testable import TaskhookProviders

/// A profile's signer is its verifier's inverse: what it signs verifies, and it reproduces the
/// official vectors.
@Suite struct ProfileSigningTests {
    static func callback(_ headers: [Delivery.Header], body: [UInt8], at time: Int64) -> Callback {
        Callback(headers: headers, body: body, receivedAt: time)
    }

    static func signature(_ headers: [Delivery.Header]) -> String? {
        headers.first { $0.name == "webhook-signature" }?.value
    }

    // MARK: Official vectors

    @Test func freepikSignsTheReferenceDeliveryInBothKeyModes() throws {
        typealias F = Fixtures.Freepik
        for (mode, expected) in [(FreepikProfile.KeyMode.standard, F.standardSignature), (.raw, F.rawSignature)] {
            let headers = try FreepikProfile(keyMode: mode).sign(
                Array(F.body.utf8), taskID: "t", deliveryID: F.id, timestamp: F.timestamp, with: .secret(F.secret))
            #expect(Self.signature(headers) == expected, "\(mode)")
            #expect(headers.map(\.name) == ["webhook-id", "webhook-timestamp", "webhook-signature"])
        }
    }

    @Test func autoKeyModeSignsAWhsecSecretAsStandardAndAnyOtherRaw() throws {
        typealias F = Fixtures.Freepik
        let standard = try FreepikProfile().sign(
            Array(F.body.utf8), taskID: "t", deliveryID: F.id, timestamp: F.timestamp, with: .secret(F.secret))
        #expect(Self.signature(standard) == F.standardSignature)
        let raw = try FreepikProfile().sign(
            Array(F.body.utf8), taskID: "t", deliveryID: F.id, timestamp: F.timestamp,
            with: .secret(FreepikVerifierTests.notBase64Secret))
        #expect(Self.signature(raw) == FreepikVerifierTests.notBase64Signature)
    }

    @Test func standardWebhooksSendersSignTheOfficialVectors() throws {
        typealias A = Fixtures.VectorA
        typealias B = Fixtures.VectorB
        let a = try StandardWebhooksProfile().sign(
            Array(A.body.utf8), taskID: "t", deliveryID: A.id, timestamp: A.timestamp, with: .secret(A.secret))
        #expect(Self.signature(a) == A.signature)
        let b = try ReplicateProfile().sign(
            Array(B.body.utf8), taskID: "t", deliveryID: B.id, timestamp: B.timestamp, with: .secret(B.secret))
        #expect(Self.signature(b) == B.signature)
    }

    @Test func falSignsTheReferenceVectorWithTheRFC8032Key() throws {
        typealias V = Fixtures.Fal
        let key = try Curve25519.Signing.PrivateKey(
            rawRepresentation: Hex.decode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")!)
        let headers = FalVerifier.sign(
            Array(V.body.utf8), requestID: V.requestID, userID: V.userID, timestamp: V.timestamp, key: key)
        #expect(headers.first { $0.name == "x-fal-webhook-signature" }?.value == V.signature)
        #expect(
            try FalVerifier(jwks: Array(V.jwks.utf8)).verify(
                Self.callback(headers, body: Array(V.body.utf8), at: V.timestamp)) == nil)
    }

    // MARK: Round trips through each profile's own verifier

    static let body = Array(#"{"task_id":"t-1","status":"COMPLETED","generated":[]}"#.utf8)
    static let now: Int64 = 1_800_000_000

    @Test(arguments: [FreepikProfile.KeyMode.standard, .raw])
    func freepikCallbacksVerifyInTheirKeyModeAndInAuto(mode: FreepikProfile.KeyMode) throws {
        let secret = Fixtures.VectorA.secret
        let headers = try FreepikProfile(keyMode: mode).sign(
            Self.body, taskID: "t-1", deliveryID: "msg_1", timestamp: Self.now, with: .secret(secret))
        let callback = Self.callback(headers, body: Self.body, at: Self.now)
        for verifying in [mode, .auto] {
            let verifier = try #require(
                try FreepikProfile(secret: .value(secret), keyMode: verifying).verifier(
                    keys: TestKeys(), toleranceSeconds: 300))
            #expect(verifier.verify(callback) == nil, "signed \(mode), verified \(verifying)")
        }
        let other: FreepikProfile.KeyMode = mode == .raw ? .standard : .raw
        let strict = try #require(
            try FreepikProfile(secret: .value(secret), keyMode: other).verifier(keys: TestKeys(), toleranceSeconds: 300)
        )
        #expect(strict.verify(callback) != nil)
    }

    @Test func replicateCallbacksVerify() throws {
        let secret = Fixtures.VectorB.secret
        let headers = try ReplicateProfile().sign(
            Self.body, taskID: "t-1", deliveryID: "msg_2", timestamp: Self.now, with: .secret(secret))
        let verifier = try #require(
            try ReplicateProfile(secret: .value(secret)).verifier(keys: TestKeys(), toleranceSeconds: 300))
        #expect(verifier.verify(Self.callback(headers, body: Self.body, at: Self.now)) == nil)
        #expect(verifier.verify(Self.callback(headers, body: Self.body + [0x20], at: Self.now)) != nil)
    }

    static func standardWebhooks(secret: SecretSource? = nil, publicKey: SecretSource? = nil) throws
        -> StandardWebhooksProfile
    {
        var profile = try TestSettings.profile(
            StandardWebhooksProfile.self,
            [
                "task-id": .scalar("/id"), "status": .scalar("/status"),
                "status-map": TestSettings.mapping("routes[0].status-map", line: 4, ["done": "completed"]),
            ])
        profile.secret = secret
        profile.publicKey = publicKey
        return profile
    }

    @Test func standardWebhooksV1CallbacksVerify() throws {
        let secret = Fixtures.VectorA.secret
        let headers = try StandardWebhooksProfile().sign(
            Self.body, taskID: "t-1", deliveryID: "msg_3", timestamp: Self.now, with: .secret(secret))
        #expect(Self.signature(headers)?.hasPrefix("v1,") == true)
        let verifier = try #require(
            try Self.standardWebhooks(secret: .value(secret)).verifier(keys: TestKeys(), toleranceSeconds: 300))
        #expect(verifier.verify(Self.callback(headers, body: Self.body, at: Self.now)) == nil)
    }

    @Test func standardWebhooksV1aCallbacksVerifyWithTheWhpkPublicKey() throws {
        let key = Curve25519.Signing.PrivateKey()
        let headers = try StandardWebhooksProfile().sign(
            Self.body, taskID: "t-1", deliveryID: "msg_4", timestamp: Self.now, with: .ed25519(key))
        #expect(Self.signature(headers)?.hasPrefix("v1a,") == true)
        let whpk = "whpk_" + Base64.encode(key.publicKey.rawRepresentation)
        let verifier = try #require(
            try Self.standardWebhooks(publicKey: .value(whpk)).verifier(keys: TestKeys(), toleranceSeconds: 300))
        #expect(verifier.verify(Self.callback(headers, body: Self.body, at: Self.now)) == nil)
        let stranger = try StandardWebhooksProfile().sign(
            Self.body, taskID: "t-1", deliveryID: "msg_4", timestamp: Self.now,
            with: .ed25519(Curve25519.Signing.PrivateKey()))
        #expect(verifier.verify(Self.callback(stranger, body: Self.body, at: Self.now)) != nil)
    }

    @Test func falCallbacksVerifyWithAGeneratedKeyInTheJWKS() throws {
        let key = Curve25519.Signing.PrivateKey()
        let x = Base64.encode(key.publicKey.rawRepresentation, alphabet: .url)
        let jwks = #"{"keys":[{"kty":"OKP","crv":"Ed25519","x":"\#(x)"}]}"#
        let privateJWK =
            #"{"kty":"OKP","crv":"Ed25519","x":"\#(x)","d":"\#(Base64.encode(key.rawRepresentation, alphabet: .url))"}"#
        let body = try #require(
            try FalProfile().testBody(taskID: "req-1", status: .completed, resultURL: "https://cdn/v.mp4"))
        let headers = try FalProfile().sign(
            body, taskID: "req-1", deliveryID: "unused", timestamp: Self.now,
            with: try SigningKey(privateJWK: Array(privateJWK.utf8)))
        #expect(headers.first { $0.name == "x-fal-webhook-request-id" }?.value == "req-1")
        let verifier = try #require(
            try FalProfile(jwksFile: "/jwks.json").verifier(
                keys: TestKeys(files: ["/jwks.json": jwks]), toleranceSeconds: 300))
        #expect(verifier.verify(Self.callback(headers, body: body, at: Self.now)) == nil)
        #expect(verifier.verify(Self.callback(headers, body: body, at: Self.now + 301)) != nil)
    }

    @Test func aKlingCallbackIsUnsigned() throws {
        #expect(
            try KlingProfile().sign(Self.body, taskID: "t", deliveryID: "d", timestamp: Self.now, with: .secret("x"))
                .isEmpty)
    }

    @Test func aProfileRefusesTheWrongKindOfKey() {
        #expect(throws: ProviderConfigurationError.self) {
            try FalProfile().sign(Self.body, taskID: "t", deliveryID: "d", timestamp: Self.now, with: .secret("x"))
        }
        #expect(throws: ProviderConfigurationError.self) {
            try FreepikProfile().sign(
                Self.body, taskID: "t", deliveryID: "d", timestamp: Self.now,
                with: .ed25519(Curve25519.Signing.PrivateKey()))
        }
    }

    @Test(arguments: [
        ("[]", "not a private Ed25519 JWK (kty OKP, crv Ed25519, d)"),
        (#"{"kty":"OKP","crv":"Ed25519","x":"abc"}"#, "not a private Ed25519 JWK (kty OKP, crv Ed25519, d)"),
        (
            #"{"kty":"OKP","crv":"Ed25519","d":"QUJD"}"#,
            #"the JWK's "d" is not a base64url Ed25519 private key of 32 bytes"#
        ),
    ])
    func anUnusablePrivateJWKIsRefused(text: String, reason: String) {
        #expect(throws: ProviderConfigurationError(reason)) { try JWKS.privateKey(Array(text.utf8)) }
    }
}
