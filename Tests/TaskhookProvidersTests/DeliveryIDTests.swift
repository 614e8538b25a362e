import Testing

@testable import TaskhookProviders

@Suite struct DeliveryIDTests {
    let callback = Fixtures.vectorA()

    @Test(arguments: [ProviderKind.freepik, .replicate, .standardWebhooks])
    func standardWebhooksSendersAreDedupedByWebhookID(provider: ProviderKind) {
        #expect(DeliveryID.of(callback, provider: provider) == Fixtures.VectorA.id)
    }

    @Test(arguments: [ProviderKind.fal, .kling])
    func falAndKlingHaveNoDeliveryID(provider: ProviderKind) {
        #expect(DeliveryID.of(Fixtures.fal(), provider: provider) == nil)
        #expect(DeliveryID.of(callback, provider: provider) == nil)
    }

    @Test func anEmptyOrMissingWebhookIDIsNone() {
        #expect(DeliveryID.of(Fixtures.vectorA(id: ""), provider: .freepik) == nil)
        #expect(DeliveryID.of(Fixtures.body("{}"), provider: .replicate) == nil)
    }

    @Test func providerKindsAreNamedAsInTheConfiguration() {
        #expect(ProviderKind.allCases.map(\.rawValue) == ["freepik", "fal", "kling", "replicate", "standard-webhooks"])
    }
}
