import TaskhookCore
import TaskhookJournal
import TestSupport
import Testing

@testable import TaskhookState

@Suite struct ExpectationTests {
    let key = TaskKey(provider: "freepik", id: "t1")

    func event(_ status: TaskStatus, results: [String] = []) -> TaskEvent {
        TaskEvent(taskID: "t1", provider: "freepik", status: status, results: results)
    }

    func expected(_ table: TaskTable) -> TrackedTask? { table[key] }

    @Test func aRegisteredTaskIdIsACreatedTaskAwaitedUntilItsDeadline() {
        var table = TaskTable()
        let outcome = table.expect(
            ExpectRecord(provider: "freepik", id: "t1", endpoint: "freepik/kling-v2", deadline: 50_000),
            sequence: 1, time: 1_000)
        guard case .expected(let task, created: true) = outcome else {
            Issue.record("not created: \(outcome)")
            return
        }
        #expect(task.status == .created)
        #expect(task.reports.isEmpty)
        #expect(task.expectation?.endpoint == "freepik/kling-v2")
        #expect(task.expectation?.registered == 1_000)
        #expect(table.awaited == [key])
        #expect(table.deadlines(reachedBy: 49_999).isEmpty)
        #expect(table.deadlines(reachedBy: 50_000) == [.task(key)])
    }

    @Test func withoutADeadlineARegistrationGetsADay() {
        var table = TaskTable()
        table.expect(ExpectRecord(provider: "freepik", id: "t1"), sequence: 1, time: 1_000)
        #expect(expected(table)?.expectation?.deadline == 1_000 + TaskTable.defaultDeadlineMilliseconds)
    }

    @Test func aCallbackBeforeTheBindingKeepsItsStatusAndGainsTheRegistration() {
        var table = TaskTable()
        let registered = table.expect(
            ExpectRecord(
                provider: "freepik", registration: "r1", endpoint: "freepik/kling-v2", deadline: 90_000,
                labels: [Expectation.Label(name: "job", value: "42")]), sequence: 1, time: 1_000)
        guard case .registered(let registration) = registered else {
            Issue.record("not registered: \(registered)")
            return
        }
        #expect(registration.expectation.deadline == 90_000)
        // The provider called back before submit bound the task id.
        table.apply(event(.completed, results: ["https://cdn/v.mp4"]), deliveryID: "m1", sequence: 2, time: 2_000)
        let bound = table.expect(
            ExpectRecord(provider: "freepik", id: "t1", registration: "r1", statusURL: "https://api/t1"),
            sequence: 3, time: 3_000)
        guard case .expected(let task, created: false) = bound else {
            Issue.record("not bound: \(bound)")
            return
        }
        #expect(task.status == .completed)
        #expect(task.results == ["https://cdn/v.mp4"])
        #expect(task.reports.count == 1)
        #expect(task.expectation?.endpoint == "freepik/kling-v2")
        #expect(task.expectation?.statusURL == "https://api/t1")
        #expect(task.expectation?.labels == [Expectation.Label(name: "job", value: "42")])
        #expect(task.expectation?.registration == "r1")
        #expect(task.expectation?.registered == 1_000)
        #expect(table.registrations.isEmpty)
        // Already ended: nothing to poll, no deadline to watch.
        #expect(table.awaited.isEmpty)
    }

    @Test func aStatusReadRepeatsAnyReportOfItsStatusAndACallbackWithoutIdRepeatsARead() {
        var table = TaskTable()
        table.expect(ExpectRecord(provider: "freepik", id: "t1", deadline: 50_000), sequence: 1, time: 1)
        #expect(table.apply(event(.inProgress), deliveryID: "m1", sequence: 2, time: 2) == .changed(from: .created))
        #expect(table.isDuplicate(event(.inProgress), deliveryID: nil, source: .observation))
        #expect(
            table.apply(event(.completed), deliveryID: nil, source: .observation, sequence: 3, time: 3)
                == .changed(from: .inProgress))
        #expect(table.isDuplicate(event(.completed), deliveryID: nil, source: .observation))
        // The callback of the same end, without a delivery id, is the same news.
        #expect(table.apply(event(.completed), deliveryID: nil, sequence: 4, time: 4) == .duplicate)
        // With one, it is kept in the history but changes nothing: one change, one wake-up.
        #expect(table.apply(event(.completed), deliveryID: "m2", sequence: 5, time: 5) == .kept)
        #expect(expected(table)?.reports.map(\.source) == [.callback, .observation, .callback])
        #expect(table.awaited.isEmpty)
    }

    @Test func aDeadlineFailsTheTaskWithItsReasonAndALaterCallbackChangesNothing() {
        var table = TaskTable()
        table.expect(ExpectRecord(provider: "freepik", id: "t1", deadline: 50), sequence: 1, time: 1)
        #expect(table.reachDeadline(.task(key), sequence: 2, time: 60) == .changed(from: .created))
        #expect(expected(table)?.status == .failed)
        #expect(expected(table)?.error == Expectation.deadlineReason)
        #expect(expected(table)?.reports.last?.source == .deadline)
        #expect(table.awaited.isEmpty)
        #expect(table.deadlines(reachedBy: 100).isEmpty)
        #expect(table.apply(event(.completed), deliveryID: "m1", sequence: 3, time: 70) == .kept)
        #expect(expected(table)?.status == .failed)
    }

    @Test func aRegistrationNeverBoundIsDroppedAtItsDeadline() {
        var table = TaskTable()
        table.expect(ExpectRecord(provider: "fal", registration: "r9", deadline: 50), sequence: 1, time: 1)
        #expect(table.deadlines(reachedBy: 50) == [.registration("r9")])
        #expect(table.reachDeadline(.registration("r9"), sequence: 2, time: 60) == nil)
        #expect(table.registrations.isEmpty)
        #expect(table.lastSequence == 2)
    }

    @Test func aWithdrawnRegistrationIsDroppedAtOnce() throws {
        var table = TaskTable()
        table.expect(ExpectRecord(provider: "fal", registration: "r9", deadline: 50), sequence: 1, time: 1)
        var withdrawal = ExpectRecord(provider: "fal", registration: "r9")
        withdrawal.withdrawn = true
        #expect(table.expect(withdrawal, sequence: 2, time: 2) == .withdrawn("r9"))
        #expect(table.registrations.isEmpty)
        #expect(table.expect(withdrawal, sequence: 3, time: 3) == .unchanged)
        #expect(try ExpectRecord(decoding: withdrawal.encoded) == withdrawal)
        #expect(throws: ExpectRecord.Problem.self) {
            try ExpectRecord(json: ["provider": "fal", "id": "t", "registration": "r9", "withdrawn": true])
        }
    }

    @Test func retentionKeepsATaskAJobStillAwaits() {
        var table = TaskTable()
        table.expect(ExpectRecord(provider: "freepik", id: "t1", deadline: 1_000_000), sequence: 1, time: 1)
        table.apply(
            TaskEvent(taskID: "other", provider: "freepik", status: .completed), deliveryID: nil, sequence: 2, time: 1)
        #expect(table.forgetTasks(lastHeardBefore: 500) == 1)
        #expect(expected(table) != nil)
    }

    @Test func aPageOfAwaitedTasksFollowsKeyOrder() {
        var table = TaskTable()
        for (index, id) in ["c", "a", "b", "d"].enumerated() {
            table.expect(ExpectRecord(provider: "fal", id: id, deadline: 99), sequence: UInt64(index + 1), time: 1)
        }
        table.apply(
            TaskEvent(taskID: "d", provider: "fal", status: .completed), deliveryID: nil, sequence: 9, time: 2)
        #expect(table.awaitedTasks(after: nil, limit: 2).map(\.id) == ["a", "b"])
        #expect(table.awaitedTasks(after: TaskKey(provider: "fal", id: "b"), limit: 2).map(\.id) == ["c"])
    }

    @Test func aCheckpointKeepsExpectationsSourcesAndRegistrations() throws {
        var table = TaskTable()
        table.expect(
            ExpectRecord(
                provider: "freepik", id: "t1", endpoint: "freepik/kling-v2", statusURL: "https://api/t1",
                deadline: 77, labels: [Expectation.Label(name: "a", value: "b")], externalID: "mine"),
            sequence: 1, time: 1)
        table.apply(event(.inProgress), deliveryID: nil, source: .observation, sequence: 2, time: 2)
        table.expect(ExpectRecord(provider: "fal", registration: "r1", deadline: 88), sequence: 3, time: 3)
        let decoded = try TaskTable(decoding: table.encoded())
        #expect(decoded == table)
        #expect(decoded.awaited == [key])
        #expect(decoded.registrations["r1"]?.expectation.deadline == 88)
    }

    @Test func replayingTheRecordsGivesTheTableTheLiveOneReached() throws {
        let directory = JournalDirectory(path: DaemonProcess.temporaryDirectory())
        let writer = try GroupCommitWriter(
            directory: directory, recovery: try directory.recover(), options: JournalOptions())
        var live = TaskTable()
        // A fresh journal numbers its records 1, 2, 3, …: the live table applies them so.
        var sequence: UInt64 = 0
        func append(_ kind: RecordKind, _ body: [UInt8], time: Int64, apply: (UInt64) -> Void) {
            _ = writer.append(kind: kind, time: time, body: body)
            sequence += 1
            apply(sequence)
        }
        let register = ExpectRecord(
            provider: "freepik", registration: "r1", endpoint: "freepik/kling-v2", deadline: 500)
        append(.expect, register.encoded, time: 10) { live.expect(register, sequence: $0, time: 10) }
        let bind = ExpectRecord(provider: "freepik", id: "t1", registration: "r1")
        append(.expect, bind.encoded, time: 20) { live.expect(bind, sequence: $0, time: 20) }
        let observed = Delivery(
            route: "/v1/tasks/freepik:t1/observations", provider: "freepik", remoteAddress: "control", deliveryID: nil,
            headers: [], body: Array("{}".utf8), events: [event(.inProgress)])
        append(.observation, observed.encoded(), time: 30) {
            live.apply(event(.inProgress), deliveryID: nil, source: .observation, sequence: $0, time: 30)
        }
        append(.deadline, DeadlineRecord.task(key).encoded, time: 600) {
            live.reachDeadline(.task(key), sequence: $0, time: 600)
        }
        writer.close()
        let replayed = try JournalReplay.open(directory).table
        #expect(replayed == live)
        #expect(replayed[key]?.error == Expectation.deadlineReason)
        #expect(replayed[key]?.reports.map(\.source) == [.observation, .deadline])
    }
}

@Suite struct ExpectRecordTests {
    @Test(arguments: [
        (#"[]"#, "the body must be a JSON object"),
        (#"{}"#, "provider is required"),
        (#"{"provider": 3}"#, "provider must be a string"),
        (#"{"provider": "a:b"}"#, "provider must not contain a colon"),
        (#"{"provider": "fal", "idd": "x"}"#, "unknown member \"idd\""),
        (#"{"provider": "fal", "id": ""}"#, "id must be 1 to 512 bytes long"),
        (#"{"provider": "fal", "registration": "a b"}"#, "registration may hold only"),
        (#"{"provider": "fal", "status_url": "ftp://x"}"#, "status_url must be an http or https URL"),
        (#"{"provider": "fal", "result_url": "https:///path"}"#, "result_url must be an http or https URL with a host"),
        (#"{"provider": "fal", "status_url": "https://a b/"}"#, "status_url must be an http or https URL with a host"),
        (#"{"provider": "fal", "deadline": "soon"}"#, "deadline must be a time in milliseconds"),
        (#"{"provider": "fal", "deadline": -5}"#, "deadline must be a time in milliseconds"),
        (#"{"provider": "fal", "labels": ["x"]}"#, "labels must be an object of strings"),
        (#"{"provider": "fal", "labels": {"a": 1}}"#, "label \"a\" must be a string"),
        (#"{"provider": "fal", "external_id": "a\u0001"}"#, "external_id must not contain control characters"),
    ])
    func aBadRegistrationIsRefusedNamingTheMember(text: String, reason: String) throws {
        let json = try JSON.parse(Array(text.utf8))
        #expect {
            _ = try ExpectRecord(json: json)
        } throws: { error in
            (error as? ExpectRecord.Problem)?.description.contains(reason) == true
        }
    }

    @Test func aRecordReadsBackAsWritten() throws {
        let record = ExpectRecord(
            provider: "fal", id: "r-1", registration: "reg.1", endpoint: "fal/kling-video-v2.5-turbo-pro",
            statusURL: "https://queue/s", resultURL: "https://queue/r", deadline: 123,
            labels: [Expectation.Label(name: "b", value: "2"), Expectation.Label(name: "a", value: "1")],
            externalID: "job-7")
        #expect(try ExpectRecord(decoding: record.encoded) == record)
        #expect(DeadlineRecord(decoding: DeadlineRecord.registration("x").encoded) == .registration("x"))
        #expect(DeadlineRecord(decoding: Array("{}".utf8)) == nil)
    }

    @Test func aNewRegistrationIdIsThirtyTwoHexDigitsAndAnotherEachTime() {
        let ids = (0..<100).map { _ in ExpectRecord.newRegistrationID() }
        #expect(ids.allSatisfy { $0.count == 32 && $0.allSatisfy(\.isHexDigit) })
        #expect(Set(ids).count == ids.count)
    }
}
