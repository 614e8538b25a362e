import TaskhookCore
import TaskhookProviders
import TaskhookState
import Testing

@testable import TaskhookDaemon

@Suite struct ExpectationPlanTests {
    let now: Int64 = 1_000_000

    func plan(_ record: ExpectRecord, _ table: TaskTable = TaskTable()) -> ExpectationPlan {
        ExpectationPlan.make(record, table: table, now: now) { "generated" }
    }

    @Test func aNewRegistrationGetsAnIdAndADayUnlessItNamesThem() {
        guard case .journal(let planned) = plan(ExpectRecord(provider: "fal")) else {
            Issue.record("not journaled")
            return
        }
        #expect(planned.record.registration == "generated")
        #expect(planned.record.deadline == now + TaskTable.defaultDeadlineMilliseconds)
        #expect(planned.isNew)
        guard case .journal(let named) = plan(ExpectRecord(provider: "fal", registration: "mine", deadline: now + 5))
        else {
            Issue.record("not journaled")
            return
        }
        #expect(named.record.registration == "mine")
        #expect(named.record.deadline == now + 5)
    }

    @Test func theSameRequestAgainJournalsNothing() {
        var table = TaskTable()
        let record = ExpectRecord(provider: "fal", id: "t", endpoint: "fal/x", deadline: now + 5)
        table.expect(record, sequence: 1, time: now)
        guard case .unchanged = plan(record, table) else {
            Issue.record("journaled again")
            return
        }
        guard case .journal(let changed) = plan(ExpectRecord(provider: "fal", id: "t", deadline: now + 9), table) else {
            Issue.record("a new deadline was not journaled")
            return
        }
        #expect(!changed.isNew)
    }

    @Test func bindingARegistrationThatIsNotThereOrIsAnotherProvidersIsRefused() {
        var table = TaskTable()
        table.expect(ExpectRecord(provider: "fal", registration: "r1", deadline: now + 5), sequence: 1, time: now)
        guard
            case .refused(let status, let reason) = plan(
                ExpectRecord(provider: "fal", id: "t", registration: "r2"), table)
        else {
            Issue.record("bound an unknown registration")
            return
        }
        #expect(status == .notFound)
        #expect(reason.contains("r2"))
        guard
            case .refused(let conflict, _) = plan(ExpectRecord(provider: "freepik", id: "t", registration: "r1"), table)
        else {
            Issue.record("bound another provider's registration")
            return
        }
        #expect(conflict == .conflict)
        // Bound once, the same binding again is a repeat, not an unknown registration.
        table.expect(ExpectRecord(provider: "fal", id: "t", registration: "r1"), sequence: 2, time: now)
        guard case .unchanged = plan(ExpectRecord(provider: "fal", id: "t", registration: "r1"), table) else {
            Issue.record("a repeated binding was not recognised")
            return
        }
    }

    @Test func anObservationOfAnotherTaskOrOfNothingReadableIsRefused() {
        let key = TaskKey(provider: "freepik", id: "t")
        let profile = FreepikProfile()
        let other = ObservationReading.read(
            Array(#"{"data":{"task_id":"u","status":"COMPLETED"}}"#.utf8), for: key, normalizer: profile, now: now)
        #expect(other == .refused("the observation speaks of freepik:u, not freepik:t"))
        let read = ObservationReading.read(
            Array(#"{"data":{"task_id":"t","status":"IN_PROGRESS"}}"#.utf8), for: key, normalizer: profile, now: now)
        #expect(read == .events([TaskEvent(taskID: "t", provider: "freepik", status: .inProgress)]))
        guard case .refused = ObservationReading.read(Array("[]".utf8), for: key, normalizer: profile, now: now) else {
            Issue.record("an unreadable document was read")
            return
        }
    }
}
