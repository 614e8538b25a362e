import Testing

@testable import TaskhookProviders

@Suite struct FreepikVerifierTests {
    typealias F = Fixtures.Freepik

    static func delivery(signature: String, at time: Int64 = F.timestamp) -> Callback {
        Fixtures.standardWebhooks(
            id: F.id, timestamp: String(F.timestamp), signature: signature, body: F.body, at: time)
    }

    @Test(arguments: [FreepikVerifier.KeyMode.auto, .standard])
    func aStandardKeySignatureIsAcceptedInAutoAndStandardModes(mode: FreepikVerifier.KeyMode) throws {
        let verifier = try FreepikVerifier(secrets: [F.secret], keyMode: mode)
        #expect(verifier.verify(Self.delivery(signature: F.standardSignature)) == nil)
    }

    @Test func aStandardKeySignatureIsRejectedInRawMode() throws {
        let verifier = try FreepikVerifier(secrets: [F.secret], keyMode: .raw)
        #expect(
            verifier.verify(Self.delivery(signature: F.standardSignature))
                == VerificationFailure("no v1 signature matched (1 tried); key-mode raw"))
    }

    @Test(arguments: [FreepikVerifier.KeyMode.auto, .raw])
    func aRawKeySignatureIsAcceptedInAutoAndRawModes(mode: FreepikVerifier.KeyMode) throws {
        let verifier = try FreepikVerifier(secrets: [F.secret], keyMode: mode)
        #expect(verifier.verify(Self.delivery(signature: F.rawSignature)) == nil)
    }

    @Test func aRawKeySignatureIsRejectedInStandardMode() throws {
        let verifier = try FreepikVerifier(secrets: [F.secret], keyMode: .standard)
        #expect(
            verifier.verify(Self.delivery(signature: F.rawSignature))
                == VerificationFailure("no v1 signature matched (1 tried); key-mode standard"))
    }

    @Test func autoModeSaysBothKeysWereTried() throws {
        let verifier = try FreepikVerifier(secrets: [Fixtures.VectorB.secret])
        #expect(
            verifier.verify(Self.delivery(signature: F.rawSignature))
                == VerificationFailure("no v1 signature matched (1 tried with 2 keys); key-mode auto"))
    }

    // Computed with Python hmac: base64(HMAC-SHA256(b"freepik secret, not base64!", id.timestamp.body)).
    static let notBase64Secret = "freepik secret, not base64!"
    static let notBase64Signature = "v1,bj1Ros8gk6mQW4y5yUwLyLTxctKGxMTVtCsoXQRB8oU="

    @Test func aSecretThatIsNotBase64IsUsedRawInAutoMode() throws {
        let verifier = try FreepikVerifier(secrets: [Self.notBase64Secret], keyMode: .auto)
        #expect(verifier.verify(Self.delivery(signature: Self.notBase64Signature)) == nil)
    }

    @Test func aSecretThatIsNotBase64IsRefusedInStandardMode() {
        #expect(
            throws: ProviderConfigurationError(
                "the webhook secret is not base64 (expected whsec_ followed by base64); with key-mode standard it "
                    + "must be")
        ) {
            try FreepikVerifier(secrets: [Self.notBase64Secret], keyMode: .standard)
        }
    }

    @Test(arguments: FreepikVerifier.KeyMode.allCases)
    func anEmptySecretIsRefused(mode: FreepikVerifier.KeyMode) {
        #expect(throws: ProviderConfigurationError("the Freepik webhook secret is empty")) {
            try FreepikVerifier(secrets: [""], keyMode: mode)
        }
    }

    @Test func theStandardWebhooksTimestampWindowApplies() throws {
        let verifier = try FreepikVerifier(secrets: [F.secret])
        #expect(
            verifier.verify(Self.delivery(signature: F.rawSignature, at: F.timestamp + 412))
                == VerificationFailure("webhook-timestamp is 412 s old; tolerance is 300 s"))
    }

    @Test func aTamperedBodyDoesNotVerifyInAnyMode() throws {
        for mode in FreepikVerifier.KeyMode.allCases {
            let verifier = try FreepikVerifier(secrets: [F.secret], keyMode: mode)
            var callback = Self.delivery(signature: "\(F.standardSignature) \(F.rawSignature)")
            callback.body[callback.body.count - 3] ^= 1
            #expect(verifier.verify(callback)?.reason.hasPrefix("no v1 signature matched (2 tried") == true)
        }
    }

    @Test func keyModesAreReadFromTheirConfigurationWords() {
        #expect(FreepikVerifier.KeyMode(rawValue: "auto") == .auto)
        #expect(FreepikVerifier.KeyMode(rawValue: "standard") == .standard)
        #expect(FreepikVerifier.KeyMode(rawValue: "raw") == .raw)
    }
}
