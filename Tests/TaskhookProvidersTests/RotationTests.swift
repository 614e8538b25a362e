import Crypto
import TaskhookCore
import Testing

@testable import TaskhookProviders

/// Several secrets on one route (a rotation): every signature entry against every key.
@Suite struct RotationTests {
    static let (old, new, removed) = (
        Fixtures.VectorA.secret, Fixtures.VectorB.secret, "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldY"
    )
    static let body = Array(#"{"id":"p-1","status":"succeeded","output":["https://r/p-1.mp4"]}"#.utf8)
    static let now: Int64 = 1_800_000_000

    static func header(_ secrets: [String]) throws -> [Delivery.Header] {
        var headers: [Delivery.Header] = []
        var entries: [String] = []
        for secret in secrets {
            headers = try ReplicateProfile().sign(
                body, taskID: "p-1", deliveryID: "msg_r", timestamp: now, with: .secret(secret))
            entries.append(headers.first { $0.name == "webhook-signature" }!.value)
        }
        return headers.filter { $0.name != "webhook-signature" }
            + [Delivery.Header(name: "webhook-signature", value: entries.joined(separator: " "))]
    }

    static func verifier(_ secrets: [String]) throws -> any SignatureVerifier {
        try #require(
            try ReplicateProfile(secrets: secrets.map { .value($0) }).verifier(keys: TestKeys(), toleranceSeconds: 300))
    }

    @Test func aRouteWithTheOldAndNewSecretsAcceptsEitherAndBothSignatures() throws {
        let both = try Self.verifier([Self.new, Self.old])
        for signers in [[Self.old], [Self.new], [Self.new, Self.old], [Self.removed, Self.old]] {
            let callback = Callback(headers: try Self.header(signers), body: Self.body, receivedAt: Self.now)
            #expect(both.verify(callback) == nil, "signed with \(signers.count) secret(s)")
        }
        let onlyRemoved = Callback(headers: try Self.header([Self.removed]), body: Self.body, receivedAt: Self.now)
        #expect(both.verify(onlyRemoved)?.reason.contains("no v1 signature matched") == true)
        #expect(
            try Self.verifier([Self.new]).verify(
                Callback(headers: try Self.header([Self.old]), body: Self.body, receivedAt: Self.now)) != nil)
    }

    @Test func freepikChecksEveryNumberedVersionButStandardWebhooksOnlyV1() throws {
        let signed = try FreepikProfile(keyMode: .standard).sign(
            Self.body, taskID: "t", deliveryID: "msg_f", timestamp: Self.now, with: .secret(Self.new))
        let mac = signed.first { $0.name == "webhook-signature" }!.value.dropFirst("v1,".count)
        var headers = signed.filter { $0.name != "webhook-signature" }
        headers.append(Delivery.Header(name: "webhook-signature", value: "v1,AAAA v2,\(mac)"))
        let callback = Callback(headers: headers, body: Self.body, receivedAt: Self.now)
        let freepik = try #require(
            try FreepikProfile(secrets: [.value(Self.old), .value(Self.new)], keyMode: .standard).verifier(
                keys: TestKeys(), toleranceSeconds: 300))
        #expect(freepik.verify(callback) == nil)
        #expect(try Self.verifier([Self.new]).verify(callback) != nil)
        #expect(!StandardWebhooksVerifier.isNumbered("v1a") && StandardWebhooksVerifier.isNumbered("v12"))
    }

    @Test func secretsIsAListAndSecretWithSecretsIsRefused() throws {
        func secretSetting(_ index: Int, _ name: String) -> Setting {
            Setting(
                path: "routes[0].secrets[\(index)]", line: 3 + index,
                value: TestSettings.mapping(
                    "routes[0].secrets[\(index)]", line: 3 + index, ["env": name]))
        }
        let profile = try TestSettings.profile(
            ReplicateProfile.self, ["secrets": .list([secretSetting(0, "NEW"), secretSetting(1, "OLD")])])
        #expect(profile.secrets == [.environment("NEW"), .environment("OLD")])
        do {
            _ = try TestSettings.profile(
                ReplicateProfile.self,
                [
                    "secret": TestSettings.mapping("routes[0].secret", line: 2, ["env": "A"]),
                    "secrets": .list([secretSetting(0, "B")]),
                ])
            Issue.record("secret and secrets together were accepted")
        } catch {
            #expect(error.description.contains("give secret or secrets, not both"), "\(error)")
        }
        do {
            _ = try TestSettings.profile(ReplicateProfile.self, ["secrets": .list([])])
            Issue.record("an empty secrets list was accepted")
        } catch {
            #expect(error.description.contains("needs at least one secret"), "\(error)")
        }
    }

    @Test func aFalRouteWithAUserIdRefusesAnotherAccountsSignedCallback() throws {
        typealias V = Fixtures.Fal
        let jwks = "/jwks"
        let headers = [
            Delivery.Header(name: "x-fal-webhook-request-id", value: V.requestID),
            Delivery.Header(name: "x-fal-webhook-user-id", value: V.userID),
            Delivery.Header(name: "x-fal-webhook-timestamp", value: String(V.timestamp)),
            Delivery.Header(name: "x-fal-webhook-signature", value: V.signature),
        ]
        let callback = Callback(headers: headers, body: Array(V.body.utf8), receivedAt: V.timestamp)
        let keys = TestKeys(files: [jwks: V.jwks])
        let mine = try #require(
            try FalProfile(jwksFile: jwks, userID: V.userID).verifier(keys: keys, toleranceSeconds: 300))
        #expect(mine.verify(callback) == nil)
        let other = try #require(
            try FalProfile(jwksFile: jwks, userID: "someone-else").verifier(keys: keys, toleranceSeconds: 300))
        #expect(
            other.verify(callback)?.reason
                == #"X-Fal-Webhook-User-Id "user-123" is not this route's fal user (user-id)"#)
    }

    @Test func jwksFromSeveralHostsMergeWithoutRepeats() throws {
        let first = #"{"keys":[{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}"#
        let second = Curve25519.Signing.PrivateKey().publicKey.rawRepresentation
        let x = Base64.encode(Array(second), alphabet: .url)
        let both = #"{"keys":[{"kty":"OKP","crv":"Ed25519","x":"\#(x)"},"# + first.dropFirst(9)
        let merged = try JWKS.merge([Array(first.utf8), Array(String(both).utf8)])
        #expect(try JWKS.parse(merged).count == 2)
    }
}
