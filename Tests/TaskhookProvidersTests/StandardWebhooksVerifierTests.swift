import Crypto
import Testing

@testable import TaskhookProviders

@Suite struct StandardWebhooksVerifierTests {
    typealias A = Fixtures.VectorA
    typealias B = Fixtures.VectorB

    let verifierA = try! StandardWebhooksVerifier(secrets: [A.secret])
    let verifierB = try! StandardWebhooksVerifier(secrets: [B.secret])

    // MARK: Official vectors

    @Test func officialVectorAVerifiesAtItsTimestamp() {
        #expect(verifierA.verify(Fixtures.vectorA()) == nil)
    }

    @Test func officialVectorBVerifiesAtItsTimestamp() {
        let callback = Fixtures.standardWebhooks(
            id: B.id, timestamp: String(B.timestamp), signature: B.signature, body: B.body, at: B.timestamp)
        #expect(verifierB.verify(callback) == nil)
    }

    @Test func aSecretIsAcceptedWithoutItsWhsecPrefix() throws {
        let verifier = try StandardWebhooksVerifier(secrets: ["MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"])
        #expect(verifier.verify(Fixtures.vectorA()) == nil)
    }

    // Signatures computed with standardwebhooks 1.1.0 (`Webhook(secret).sign(...)`) for vector A's message,
    // with the unpadded secrets from the Python library's tests.
    @Test(arguments: [
        ("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS", "v1,LVOXivKoo4FWasi/IaHvzhE/u+7/cu2AME+zS/nXqzk="),
        ("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwBr", "v1,yK2tMbA6BHPrMEJ1lLv7UlJJbgFoqGenJkiajZ29evg="),
    ])
    func unpaddedBase64SecretsWork(secret: String, signature: String) throws {
        let verifier = try StandardWebhooksVerifier(secrets: [secret])
        #expect(verifier.verify(Fixtures.vectorA(signature: signature)) == nil)
    }

    @Test func oneValidEntryAmongBadOnesIsEnough() {
        let header = [
            "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=", "v2,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=",
            A.signature, "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=",
        ].joined(separator: " ")
        #expect(verifierA.verify(Fixtures.vectorA(signature: header)) == nil)
    }

    @Test func anyConfiguredKeyMayMatchDuringARotation() throws {
        let verifier = try StandardWebhooksVerifier(secrets: [B.secret, A.secret])
        #expect(verifier.verify(Fixtures.vectorA()) == nil)
    }

    // MARK: The libraries' negative cases

    @Test(arguments: [
        ("v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=", "no v1 signature matched (1 tried)"),
        ("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA=", "no v1 signature matched (1 tried)"),
        ("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLawdd", "no v1 signature matched (1 tried)"),
        ("v1,dawfeoifkpqwoekfpqoekf", "no v1 signature matched (1 tried; 1 of the wrong length)"),
        ("v1,", "no v1 signature matched (1 tried; 1 empty)"),
        ("v1,!!!not-base64!!!", "no v1 signature matched (1 tried; 1 not base64)"),
        (
            "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= v2,xyz v1,",
            "no v1 signature matched (2 tried; 1 empty, 1 of another version ignored)"
        ),
    ])
    func aNonMatchingSignatureIsRejectedWithItsReason(header: String, reason: String) {
        #expect(verifierA.verify(Fixtures.vectorA(signature: header)) == VerificationFailure(reason))
    }

    @Test func theRustLibrarysBadSignatureForVectorBIsRejected() {
        let callback = Fixtures.standardWebhooks(
            id: B.id, timestamp: String(B.timestamp), signature: "v1,R3PTzyfHASBKHH98a7yexTwaJ4yNIcGhFQc1yuN+BPU=",
            body: B.body, at: B.timestamp)
        #expect(verifierB.verify(callback) == VerificationFailure("no v1 signature matched (1 tried)"))
    }

    @Test(arguments: [
        ("v2,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=", #"webhook-signature has no v1 entry (found "v2")"#),
        ("v1b,abc v0,abc", #"webhook-signature has no v1 entry (found "v1b", "v0")"#),
        ("g0hM9SsE+OTPJTGt", #"webhook-signature has no v1 entry (found "g0hM9SsE+OTPJTGt")"#),
        ("", "webhook-signature is empty"),
        ("   ", "webhook-signature is empty"),
    ])
    func unknownVersionsAndEmptyHeadersAreRejected(header: String, reason: String) {
        #expect(verifierA.verify(Fixtures.vectorA(signature: header)) == VerificationFailure(reason))
    }

    @Test func aHeaderWithTooManyEntriesIsRefused() {
        let header = Array(repeating: A.signature, count: 17).joined(separator: " ")
        #expect(
            verifierA.verify(Fixtures.vectorA(signature: header))
                == VerificationFailure("webhook-signature has 17 entries; at most 16 are accepted"))
    }

    @Test func theWrongSecretDoesNotVerify() {
        #expect(verifierB.verify(Fixtures.vectorA()) == VerificationFailure("no v1 signature matched (1 tried)"))
    }

    @Test func severalKeysAreCountedInTheReason() throws {
        let verifier = try StandardWebhooksVerifier(secrets: [B.secret, "whsec_QUJD"])
        #expect(
            verifier.verify(Fixtures.vectorA()) == VerificationFailure("no v1 signature matched (1 tried with 2 keys)"))
    }

    @Test func aVerifierWithoutKeysRejectsEverything() {
        let verifier = StandardWebhooksVerifier(keys: [])
        #expect(verifier.verify(Fixtures.vectorA()) == VerificationFailure("no keys are configured for this route"))
    }

    // MARK: Tampering

    @Test func aTamperedBodyDoesNotVerify() {
        let callback = Fixtures.vectorA(body: #"{"test": 2432232315}"#)
        #expect(verifierA.verify(callback) == VerificationFailure("no v1 signature matched (1 tried)"))
    }

    @Test func aTamperedIDDoesNotVerify() {
        let callback = Fixtures.vectorA(id: "msg_p5jXN8AQM9LWM0D4loKWxJel")
        #expect(verifierA.verify(callback) == VerificationFailure("no v1 signature matched (1 tried)"))
    }

    @Test func aTamperedTimestampDoesNotVerifyEvenInsideTheWindow() {
        let callback = Fixtures.vectorA(timestamp: A.timestamp + 1)
        #expect(verifierA.verify(callback) == VerificationFailure("no v1 signature matched (1 tried)"))
    }

    @Test func aTrailingNewlineAddedToTheBodyDoesNotVerify() {
        let callback = Fixtures.vectorA(body: A.body + "\n")
        #expect(verifierA.verify(callback) != nil)
    }

    // MARK: The timestamp window

    @Test(arguments: [-300, 0, 300] as [Int64])
    func timestampsUpToTheToleranceEitherWayAreAccepted(offset: Int64) {
        #expect(verifierA.verify(Fixtures.vectorA(at: A.timestamp + offset)) == nil)
    }

    @Test func aTimestampOneSecondPastTheToleranceIsTooOld() {
        #expect(
            verifierA.verify(Fixtures.vectorA(at: A.timestamp + 301))
                == VerificationFailure("webhook-timestamp is 301 s old; tolerance is 300 s"))
    }

    @Test func aTimestampOneSecondBeyondTheToleranceIsTooNew() {
        #expect(
            verifierA.verify(Fixtures.vectorA(at: A.timestamp - 301))
                == VerificationFailure("webhook-timestamp is 301 s in the future; tolerance is 300 s"))
    }

    @Test func theToleranceIsConfigurable() throws {
        let verifier = try StandardWebhooksVerifier(secrets: [A.secret], toleranceSeconds: 10)
        #expect(verifier.verify(Fixtures.vectorA(at: A.timestamp + 10)) == nil)
        #expect(
            verifier.verify(Fixtures.vectorA(at: A.timestamp + 412))
                == VerificationFailure("webhook-timestamp is 412 s old; tolerance is 10 s"))
    }

    @Test func aStaleTimestampIsReportedBeforeABadSignature() {
        let callback = Fixtures.vectorA(signature: "v1,", at: A.timestamp + 1000)
        #expect(
            verifierA.verify(callback) == VerificationFailure("webhook-timestamp is 1000 s old; tolerance is 300 s"))
    }

    @Test func aMillisecondTimestampIsRecognizedInTheReason() {
        let callback = Fixtures.standardWebhooks(
            id: A.id, timestamp: "1614265330000", signature: A.signature, body: A.body, at: A.timestamp)
        #expect(
            verifierA.verify(callback)
                == VerificationFailure(
                    "webhook-timestamp is 1612651064670 s in the future; tolerance is 300 s "
                        + "(it looks like milliseconds, not seconds)"))
    }

    @Test(arguments: [
        ("hello", #"webhook-timestamp is not an integer ("hello")"#),
        ("161426533.0", #"webhook-timestamp is not an integer ("161426533.0")"#),
        ("1614265330 ", #"webhook-timestamp is not an integer ("1614265330 ")"#),
        ("+1614265330", #"webhook-timestamp is not an integer ("+1614265330")"#),
        ("invalid timestamp", #"webhook-timestamp is not an integer ("invalid timestamp")"#),
        ("-161426533", #"webhook-timestamp is negative ("-161426533")"#),
        ("", "webhook-timestamp is empty"),
        ("1234567890123456789", "webhook-timestamp has too many digits to be Unix seconds"),
    ])
    func malformedTimestampsAreRejected(timestamp: String, reason: String) {
        let callback = Fixtures.standardWebhooks(
            id: A.id, timestamp: timestamp, signature: A.signature, body: A.body, at: A.timestamp)
        #expect(verifierA.verify(callback) == VerificationFailure(reason))
    }

    @Test(arguments: ["webhook-id", "webhook-timestamp", "webhook-signature"])
    func aMissingHeaderIsNamed(missing: String) {
        var callback = Fixtures.vectorA()
        callback.headers.removeAll { $0.name == missing }
        #expect(verifierA.verify(callback) == VerificationFailure("no \(missing) header"))
    }

    @Test func anEmptyWebhookIDIsRejected() {
        #expect(verifierA.verify(Fixtures.vectorA(id: "")) == VerificationFailure("webhook-id is empty"))
    }

    @Test func controlCharactersInAnEchoedValueAreEscaped() {
        let callback = Fixtures.standardWebhooks(
            id: A.id, timestamp: "12\n34", signature: A.signature, body: A.body, at: A.timestamp)
        #expect(verifierA.verify(callback) == VerificationFailure(#"webhook-timestamp is not an integer ("12\n34")"#))
    }

    // MARK: v1a (Ed25519)

    // Computed with Python `cryptography`: Ed25519 signatures of vector A's signed content
    // ("msg_p5jXN8AQM9LWM0D4loKWxJek.1614265330.{"test": 2432232314}") by the RFC 8032 TEST 1 / TEST 2 keys.
    static let test1Signature =
        "v1a,fldxM4gAKugP6nnt1hdz3sgGfZ6d99nzrMFnZOELIxbzEHoVmAb2ADpkJK7zgPePmPsle0zV9jSeGlHFG2NVAw=="
    static let test2Signature =
        "v1a,7anDmyOh9LNskt5GJUTacHmbvyUkT0/S1jnxFAp+h2hcVXnQLWhtWA2+wP6vO0AUwEYP23IIZVuneGRhNj7hDQ=="

    @Test func aV1aSignatureVerifiesWithItsPublicKey() throws {
        let verifier = try StandardWebhooksVerifier(secrets: [Fixtures.Ed25519Keys.test1Whpk])
        #expect(verifier.verify(Fixtures.vectorA(signature: Self.test1Signature)) == nil)
    }

    @Test func aV1aSignatureByAnotherKeyDoesNotVerify() throws {
        let verifier = try StandardWebhooksVerifier(secrets: [Fixtures.Ed25519Keys.test1Whpk])
        #expect(
            verifier.verify(Fixtures.vectorA(signature: Self.test2Signature))
                == VerificationFailure("no v1a signature matched (1 tried)"))
    }

    @Test func rotatedPublicKeysAreAllTried() throws {
        let verifier = try StandardWebhooksVerifier(
            secrets: [Fixtures.Ed25519Keys.test1Whpk, Fixtures.Ed25519Keys.test2Whpk])
        #expect(verifier.verify(Fixtures.vectorA(signature: Self.test2Signature)) == nil)
    }

    @Test func v1AndV1aKeysMayServeOneRoute() throws {
        let verifier = try StandardWebhooksVerifier(secrets: [B.secret, Fixtures.Ed25519Keys.test1Whpk])
        let header = "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= \(Self.test1Signature)"
        #expect(verifier.verify(Fixtures.vectorA(signature: header)) == nil)
        #expect(
            verifier.verify(Fixtures.vectorA(signature: "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc="))
                == VerificationFailure("no v1 or v1a signature matched (1 tried with 2 keys)"))
    }

    @Test func aV1aEntryIsIgnoredByAnHMACOnlyRoute() {
        #expect(
            verifierA.verify(Fixtures.vectorA(signature: Self.test1Signature))
                == VerificationFailure(#"webhook-signature has no v1 entry (found "v1a")"#))
    }

    @Test func aV1EntryIsIgnoredByAPublicKeyOnlyRoute() throws {
        let verifier = try StandardWebhooksVerifier(secrets: [Fixtures.Ed25519Keys.test1Whpk])
        #expect(
            verifier.verify(Fixtures.vectorA())
                == VerificationFailure(#"webhook-signature has no v1a entry (found "v1")"#))
    }

    @Test func aTruncatedV1aSignatureIsOfTheWrongLength() throws {
        let verifier = try StandardWebhooksVerifier(secrets: [Fixtures.Ed25519Keys.test1Whpk])
        #expect(
            verifier.verify(Fixtures.vectorA(signature: "v1a," + A.signature.dropFirst(3)))
                == VerificationFailure("no v1a signature matched (1 tried; 1 of the wrong length)"))
    }
}

@Suite struct SignedContentTests {
    // The MAC is fed `id.timestamp.` from a temporary buffer (on the heap past a few KiB, so the
    // long id takes that path) and the body from its own storage: the same code as in one piece.
    @Test(arguments: ["", "msg_1", "é\u{301}-ü", String(repeating: "x", count: 20_000)])
    func theMACOverThePiecesIsTheMACOverTheWholeSignedContent(id: String) {
        let key = SymmetricKey(data: Array("a key of some length".utf8))
        let body = Array(#"{"task_id":"t","status":"COMPLETED"}"#.utf8)
        var pieces = KeyedSHA256(key: key)
        StandardWebhooksVerifier.absorbSignedContent(id: id, timestamp: "1614265330", body: body, into: &pieces)
        let whole = StandardWebhooksVerifier.signedContent(id: id, timestamp: "1614265330", body: body)
        #expect(whole == Array("\(id).1614265330.".utf8) + body)
        #expect(Array(pieces.finalize()) == Array(HMAC<SHA256>.authenticationCode(for: whole, using: key)))
    }
}

@Suite struct KeyedSHA256Tests {
    // Keys shorter than a block, of a block, and longer (hashed first); messages fed whole or
    // cut anywhere: always swift-crypto's HMAC.
    @Test(arguments: [0, 1, 31, 32, 63, 64, 65, 100, 200])
    func itIsHMACSHA256(keyLength: Int) {
        let key = SymmetricKey(data: (0..<keyLength).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) })
        let keyed = KeyedSHA256(key: key)
        for length in [0, 1, 55, 56, 64, 119, 400] {
            let message = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ keyLength) }
            let expected = Array(HMAC<SHA256>.authenticationCode(for: message, using: key))
            for cut in Set([0, length / 3, length]) {
                var mac = keyed
                mac.update(Array(message[..<cut]))
                message[cut...].withUnsafeBytes { mac.update($0) }
                #expect(Array(mac.finalize()) == expected, "key \(keyLength) message \(length) cut \(cut)")
            }
        }
    }
}

@Suite struct WebhookSignatureListTests {
    @Test func entriesSplitAtSpacesAndTheFirstComma() {
        let list = WebhookSignatureList("v1,abc=  v1a,de,f bare v1, ,x")
        #expect(
            list.entries == [
                .init(version: "v1", signature: "abc="), .init(version: "v1a", signature: "de,f"),
                .init(version: "bare", signature: ""), .init(version: "v1", signature: ""),
                .init(version: "", signature: "x"),
            ])
        #expect(WebhookSignatureList("").entries.isEmpty)
        #expect(WebhookSignatureList("   ").entries.isEmpty)
        // Multi-byte text stays whole: only ASCII spaces and commas separate.
        #expect(
            WebhookSignatureList("v1,é\u{301} ü").entries == [
                .init(version: "v1", signature: "é\u{301}"), .init(version: "ü", signature: ""),
            ])
    }
}

@Suite struct SignatureComparisonTests {
    @Test func aCodeEqualsOnlyTheSameThirtyTwoBytes() {
        let mac = SHA256.hash(data: Array("signed content".utf8))
        let bytes = Array(mac)
        #expect(StandardWebhooksVerifier.equalInConstantTime(mac, bytes))
        for position in [0, 15, 31] {
            var changed = bytes
            changed[position] ^= 0x01
            #expect(!StandardWebhooksVerifier.equalInConstantTime(mac, changed), "byte \(position) changed")
        }
        #expect(!StandardWebhooksVerifier.equalInConstantTime(mac, Array(bytes.dropLast())))
        #expect(!StandardWebhooksVerifier.equalInConstantTime(mac, bytes + [0]))
        #expect(!StandardWebhooksVerifier.equalInConstantTime(mac, []))
    }
}
