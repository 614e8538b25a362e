import TaskhookCore
import Testing

@testable import TaskhookProviders

@Suite struct CallbackTests {
    @Test func headersAreLookedUpByLowerCaseName() {
        let callback = Callback(headers: [.init(name: "webhook-id", value: "msg_1")], body: [], receivedAt: 0)
        #expect(callback.header("webhook-id") == "msg_1")
        #expect(callback.header("webhook-timestamp") == nil)
    }
}
