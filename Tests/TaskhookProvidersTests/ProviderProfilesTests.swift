import TaskhookCore
import Testing

@testable import TaskhookProviders

@Suite struct ProviderProfilesTests {
    /// One profile of each provider, as a route with no keys has it.
    static let profiles: [any ProviderProfile] = ProviderProfiles.all.map { $0.init() }

    @Test func providersAreNamedAsInTheConfiguration() {
        #expect(ProviderProfiles.names == ["freepik", "fal", "kling", "replicate", "standard-webhooks"])
        #expect(ProviderProfiles.named("fal") == FalProfile.self)
        #expect(ProviderProfiles.named("zapier") == nil)
    }

    // MARK: Delivery ids (the dedupe key)

    static let standardWebhooksSenders: [any ProviderProfile] = [
        FreepikProfile(), ReplicateProfile(), StandardWebhooksProfile(),
    ]

    @Test func standardWebhooksSendersAreDedupedByWebhookID() {
        for profile in Self.standardWebhooksSenders {
            #expect(profile.deliveryID(of: Fixtures.vectorA()) == Fixtures.VectorA.id, "\(type(of: profile))")
        }
    }

    @Test func falAndKlingHaveNoDeliveryID() {
        for profile: any ProviderProfile in [FalProfile(), KlingProfile()] {
            #expect(profile.deliveryID(of: Fixtures.fal()) == nil)
            #expect(profile.deliveryID(of: Fixtures.vectorA()) == nil)
        }
    }

    @Test func anEmptyOrMissingWebhookIDIsNone() {
        #expect(FreepikProfile().deliveryID(of: Fixtures.vectorA(id: "")) == nil)
        #expect(ReplicateProfile().deliveryID(of: Fixtures.body("{}")) == nil)
    }

    // MARK: The headers a journal record keeps

    @Test func everyProfileKeepsTheHeadersItsVerifierReads() {
        let standard = ["webhook-id", "webhook-timestamp", "webhook-signature"]
        let fal = [
            "x-fal-webhook-request-id", "x-fal-webhook-user-id", "x-fal-webhook-timestamp", "x-fal-webhook-signature",
        ]
        for profile in Self.standardWebhooksSenders {
            for name in standard { #expect(profile.keepsHeader(name), "\(type(of: profile)) \(name)") }
        }
        for name in fal { #expect(FalProfile().keepsHeader(name), "\(name)") }
    }

    @Test func everyProfileKeepsWhatDescribesTheBodyAndSenderButNothingElse() {
        for profile in Self.profiles {
            for name in ["content-type", "user-agent", "content-length"] {
                #expect(profile.keepsHeader(name), "\(type(of: profile)) \(name)")
            }
            for name in ["host", "authorization", "cookie", "connection", "x-forwarded-for", "webhook", "x-fal"] {
                #expect(!profile.keepsHeader(name), "\(type(of: profile)) \(name)")
            }
        }
        #expect(!KlingProfile().keepsHeader("webhook-id"))
        #expect(!FreepikProfile().keepsHeader("x-fal-webhook-signature"))
    }

    // MARK: Status words, both ways

    @Test func everyStatusWordMapsToItsStatusAndBack() {
        for profile in Self.profiles {
            let words = profile.statusWords
            for (word, status) in words.pairs {
                #expect(words.status(for: word) == status, "\(type(of: profile)) \(word)")
                let written = words.word(for: status)
                #expect(written.flatMap(words.status(for:)) == status, "\(type(of: profile)) \(status)")
            }
        }
    }

    @Test func theStatusWordsAreTheProvidersOwn() {
        #expect(FreepikProfile().statusWords.words == ["CREATED", "IN_PROGRESS", "COMPLETED", "FAILED"])
        #expect(FalProfile().statusWords.words == ["OK", "ERROR"])
        #expect(KlingProfile().statusWords.words == ["submitted", "processing", "succeed", "failed"])
        #expect(
            ReplicateProfile().statusWords.words
                == ["starting", "processing", "succeeded", "failed", "canceled", "aborted"])
        #expect(ReplicateProfile().statusWords.word(for: .canceled) == "canceled")
        #expect(ReplicateProfile().statusWords.status(for: "aborted") == .canceled)
    }

    /// The normalizer reads back what the test body says, for every status the provider has a word for.
    @Test func aTestBodyNormalizesToItsTaskAndStatus() throws {
        let url = "https://cdn.example.com/t.mp4"
        for profile in Self.profiles where !(profile is StandardWebhooksProfile) {
            for status in TaskStatus.allCases {
                guard profile.statusWords.word(for: status) != nil else {
                    #expect(throws: ProviderConfigurationError.self) {
                        try profile.testBody(taskID: "t-1", status: status, resultURL: url)
                    }
                    continue
                }
                let body = try #require(try profile.testBody(taskID: "t-1", status: status, resultURL: url))
                guard case .events(let events, _) = profile.normalize(Callback(headers: [], body: body, receivedAt: 0))
                else {
                    Issue.record("\(type(of: profile)) \(status): not understood")
                    continue
                }
                #expect(events.map(\.taskID) == ["t-1"])
                #expect(events.map(\.status) == [status], "\(type(of: profile))")
                #expect(events.first?.provider == type(of: profile).name)
                #expect(events.first?.results == (status == .completed ? [url] : []), "\(type(of: profile)) \(status)")
            }
        }
    }

    @Test func aStatusWithoutAWordIsRefusedNamingTheProvider() throws {
        #expect(throws: ProviderConfigurationError("kling has no status canceled")) {
            try KlingProfile().testBody(taskID: "t", status: .canceled, resultURL: "u")
        }
        #expect(
            throws: ProviderConfigurationError(
                "fal has no status created; it sends completed (OK) or failed (ERROR)")
        ) {
            try FalProfile().testBody(taskID: "t", status: .created, resultURL: "u")
        }
        #expect(try StandardWebhooksProfile().testBody(taskID: "t", status: .completed, resultURL: "u") == nil)
    }

    // MARK: No verification, decided in one place

    @Test func aRouteWithoutItsProvidersKeysMustSaySo() {
        #expect(FreepikProfile().missingVerification(hasToken: false, allowUnsigned: false) == "secret")
        #expect(FreepikProfile(secret: .value("s")).missingVerification(hasToken: false, allowUnsigned: false) == nil)
        #expect(FalProfile().missingVerification(hasToken: true, allowUnsigned: false) == "jwks")
        #expect(
            StandardWebhooksProfile().missingVerification(hasToken: false, allowUnsigned: false)
                == "secret or public-key")
        #expect(
            KlingProfile().missingVerification(hasToken: false, allowUnsigned: false)
                == "token (Kling signs nothing; the path token authenticates)")
        #expect(KlingProfile().missingVerification(hasToken: true, allowUnsigned: false) == nil)
        for profile in Self.profiles {
            #expect(profile.missingVerification(hasToken: false, allowUnsigned: true) == nil)
        }
    }
}
