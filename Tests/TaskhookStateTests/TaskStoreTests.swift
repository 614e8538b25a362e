import TaskhookCore
import Testing

@testable import TaskhookState

/// A waiter that only records what it was told.
private final class RecordingWaiter: TaskEndWaiter {
    var ended: [TrackedTask] = []
    func taskEnded(_ task: TrackedTask) { ended.append(task) }
}

@Suite struct TaskStoreTests {
    static func event(_ id: String, _ status: TaskStatus, provider: String = "freepik") -> TaskEvent {
        TaskEvent(
            taskID: id, provider: provider, status: status, results: status == .completed ? ["https://v/\(id)"] : [])
    }

    @Test func aWaiterIsWokenOnceWhenItsTaskEnds() {
        let store = TaskStore(maxWaiters: 10)
        let waiter = RecordingWaiter()
        #expect(store.addWaiter(waiter, for: "t") != nil)
        store.apply([Self.event("t", .inProgress)], deliveryID: "a", sequence: 1, time: 10)
        #expect(waiter.ended.isEmpty)
        store.apply([Self.event("t", .completed)], deliveryID: "b", sequence: 2, time: 20)
        #expect(waiter.ended.map(\.status) == [.completed])
        #expect(waiter.ended.first?.results == ["https://v/t"])
        // A second terminal report, or the same one again, wakes nobody.
        store.apply([Self.event("t", .failed)], deliveryID: "c", sequence: 3, time: 30)
        store.apply([Self.event("t", .completed)], deliveryID: "b", sequence: 4, time: 40)
        #expect(waiter.ended.count == 1)
        #expect(store.waiterCount == 0)
    }

    @Test func aRemovedWaiterIsNotWoken() {
        let store = TaskStore(maxWaiters: 10)
        let waiter = RecordingWaiter()
        let id = try! #require(store.addWaiter(waiter, for: "t"))
        #expect(store.removeWaiter(id) === waiter)
        #expect(store.removeWaiter(id) == nil)
        store.apply([Self.event("t", .completed)], deliveryID: nil, sequence: 1, time: 10)
        #expect(waiter.ended.isEmpty)
    }

    @Test func theWaiterLimitIsEnforcedAndShutdownTakesEveryWaiterInArrivalOrder() {
        let store = TaskStore(maxWaiters: 2)
        let first = RecordingWaiter()
        let second = RecordingWaiter()
        #expect(store.addWaiter(first, for: "a") != nil)
        #expect(store.addWaiter(second, for: "b") != nil)
        #expect(store.addWaiter(RecordingWaiter(), for: "c") == nil)
        let taken = store.takeAllWaiters()
        #expect(taken.count == 2 && taken[0] === first && taken[1] === second)
        #expect(store.waiterCount == 0)
    }

    @Test func listenersHearEveryChangeInJournalOrderAndNothingElse() {
        let store = TaskStore(maxWaiters: 1)
        var heard: [(String, TaskStatus, UInt64)] = []
        store.addChangeListener { task, report in heard.append((task.id, report.status, report.sequence)) }
        store.apply([Self.event("a", .created), Self.event("b", .inProgress)], deliveryID: nil, sequence: 1, time: 1)
        store.apply([Self.event("a", .completed)], deliveryID: nil, sequence: 2, time: 2)
        store.apply([Self.event("a", .completed)], deliveryID: nil, sequence: 3, time: 3)  // duplicate
        store.apply([Self.event("a", .inProgress)], deliveryID: nil, sequence: 4, time: 4)  // late: kept, not a change
        #expect(heard.map(\.0) == ["a", "b", "a"])
        #expect(heard.map(\.1) == [.created, .inProgress, .completed])
        #expect(heard.map(\.2) == [1, 1, 2])
        #expect(store.table.lastSequence == 4)
    }

    @Test func aDeliveryIsADuplicateOnlyWhenEveryEventWasApplied() {
        let store = TaskStore(maxWaiters: 1)
        store.apply([Self.event("a", .completed)], deliveryID: "x", sequence: 1, time: 1)
        #expect(store.isDuplicate([Self.event("a", .completed)], deliveryID: "x"))
        #expect(!store.isDuplicate([Self.event("a", .completed), Self.event("b", .completed)], deliveryID: "x"))
        #expect(!store.isDuplicate([], deliveryID: "x"))
    }
}
