import Testing

@testable import TaskhookSimulator

@Suite struct CallbackRetryTests {
    @Test(arguments: [
        (0, true), (200, false), (202, false), (401, false), (404, false), (408, true), (429, true), (500, true),
        (503, true),
    ])
    func aCallbackIsSentAgainOnlyWhenItWasNotTakenOrRefusedForGood(code: Int, retried: Bool) {
        #expect(CallbackDelivery.isRetried(code) == retried)
    }
}
