import TaskhookCore
import Testing

@testable import TaskhookState

@Suite struct WaiterRegistryTests {
    @Test func waitersForATaskAreTakenTogetherInArrivalOrder() {
        var registry = WaiterRegistry<String>(limit: 10)
        _ = registry.add("a1", for: "A")
        _ = registry.add("b1", for: "B")
        _ = registry.add("a2", for: "A")
        #expect(registry.take(task: "A") == ["a1", "a2"])
        #expect(registry.take(task: "A") == [])
        #expect(registry.count == 1)
    }

    @Test func aRemovedWaiterIsNotWokenLater() {
        var registry = WaiterRegistry<String>(limit: 10)
        let id = registry.add("gone", for: "A")!
        _ = registry.add("here", for: "A")
        #expect(registry.remove(id) == "gone")
        #expect(registry.remove(id) == nil)
        #expect(registry.take(task: "A") == ["here"])
    }

    @Test func theLimitIsEnforced() {
        var registry = WaiterRegistry<Int>(limit: 2)
        #expect(registry.add(1, for: "A") != nil)
        #expect(registry.add(2, for: "B") != nil)
        #expect(registry.add(3, for: "C") == nil)
        #expect(registry.takeAll() == [1, 2])
        #expect(registry.add(3, for: "C") != nil)
    }
}
