import TaskhookCore
import Testing

@testable import TaskhookState

@Suite struct TaskTableTests {
    func event(_ status: TaskStatus, task: String = "t1", results: [String] = []) -> TaskEvent {
        TaskEvent(taskID: task, provider: "freepik", status: status, results: results)
    }

    @Test func theFirstEventCreatesTheTask() {
        var table = TaskTable()
        let e = event(.inProgress)
        #expect(table.apply(e, deliveryID: nil, sequence: 1, time: 100) == .created)
        let task = table["t1"]
        #expect(task?.status == .inProgress)
        #expect(task?.firstSeen == 100)
        #expect(task?.reports.count == 1)
    }

    @Test func tasksNotHeardOfSinceACutoffAreForgotten() {
        var table = TaskTable()
        table.apply(event(.completed, task: "old"), deliveryID: "a", sequence: 1, time: 1_000)
        table.apply(event(.inProgress, task: "stuck"), deliveryID: "b", sequence: 2, time: 1_000)
        table.apply(event(.completed, task: "late"), deliveryID: "c", sequence: 3, time: 1_000)
        // A late IN_PROGRESS does not move `updated`, but the task was heard of.
        #expect(table.apply(event(.inProgress, task: "late"), deliveryID: "d", sequence: 4, time: 5_000) == .kept)
        table.apply(event(.completed, task: "new"), deliveryID: "e", sequence: 5, time: 5_000)

        #expect(table.forgetTasks(lastHeardBefore: 1_000) == 0)
        #expect(table.count == 4)
        #expect(table.forgetTasks(lastHeardBefore: 5_000) == 2)
        #expect(Set(table.tasks.keys.map(\.id)) == ["late", "new"])
        #expect(table.lastSequence == 5)
        // Heard of again, a forgotten task starts afresh.
        #expect(table.apply(event(.completed, task: "old"), deliveryID: "a", sequence: 6, time: 6_000) == .created)
        #expect(table.forgetTasks(lastHeardBefore: 10_000) == 3)
        #expect(table.count == 0)
        #expect(TaskStatus.allCases.allSatisfy { table.count(withStatus: $0) == 0 })
    }

    @Test func theCountByStatusFollowsCreationChangesAndForgetting() throws {
        var table = TaskTable()
        table.apply(event(.created, task: "a"), deliveryID: "1", sequence: 1, time: 1_000)
        table.apply(event(.inProgress, task: "b"), deliveryID: "2", sequence: 2, time: 1_000)
        table.apply(event(.inProgress, task: "a"), deliveryID: "3", sequence: 3, time: 2_000)
        table.apply(event(.completed, task: "a"), deliveryID: "4", sequence: 4, time: 3_000)
        table.apply(event(.inProgress, task: "a"), deliveryID: "5", sequence: 5, time: 4_000)  // late: kept
        table.apply(event(.failed, task: "c"), deliveryID: "6", sequence: 6, time: 1_000)
        let counts = TaskStatus.allCases.map { table.count(withStatus: $0) }
        #expect(counts == [0, 1, 1, 1, 0])  // created, in_progress, completed, failed, canceled
        let decoded = try TaskTable(decoding: table.encoded())
        #expect(TaskStatus.allCases.map { decoded.count(withStatus: $0) } == counts)
        table.forgetTasks(lastHeardBefore: 2_000)
        #expect(TaskStatus.allCases.map { table.count(withStatus: $0) } == [0, 0, 1, 0, 0])
    }

    @Test func aDuplicateChangesNothing() {
        var table = TaskTable()
        let e = event(.completed, results: ["https://cdn/v.mp4"])
        table.apply(e, deliveryID: "msg_1", sequence: 1, time: 100)
        let before = table["t1"]
        #expect(table.isDuplicate(e, deliveryID: "msg_1"))
        #expect(table.apply(e, deliveryID: "msg_1", sequence: 2, time: 200) == .duplicate)
        #expect(table["t1"] == before)
        #expect(table.lastSequence == 2)
    }

    @Test func aTerminalStatusNeverRegressesButTheLateEventIsKept() {
        var table = TaskTable()
        table.apply(event(.completed, results: ["u"]), deliveryID: "a", sequence: 1, time: 100)
        #expect(table.apply(event(.inProgress), deliveryID: "b", sequence: 2, time: 200) == .kept)
        let task = table["t1"]!
        #expect(task.status == .completed)
        #expect(task.results == ["u"])
        #expect(task.updated == 100)
        #expect(task.reports.map(\.applied) == [true, false])
    }

    @Test func theFirstTerminalStatusIsFinal() {
        var table = TaskTable()
        table.apply(event(.failed), deliveryID: "a", sequence: 1, time: 100)
        #expect(table.apply(event(.completed, results: ["u"]), deliveryID: "b", sequence: 2, time: 200) == .kept)
        #expect(table["t1"]?.status == .failed)
    }

    @Test func statusesMoveForwardOnly() {
        var table = TaskTable()
        table.apply(event(.inProgress), deliveryID: "a", sequence: 1, time: 100)
        #expect(table.apply(event(.created), deliveryID: "b", sequence: 2, time: 200) == .kept)
        #expect(
            table.apply(event(.completed, results: ["u"]), deliveryID: "c", sequence: 3, time: 300)
                == .changed(from: .inProgress))
        #expect(table["t1"]?.results == ["u"])
        #expect(table["t1"]?.updated == 300)
    }

    @Test func withoutADeliveryIDTheSameStatusIsADuplicate() {
        var table = TaskTable()
        table.apply(event(.inProgress), deliveryID: nil, sequence: 1, time: 1)
        #expect(table.apply(event(.inProgress), deliveryID: nil, sequence: 2, time: 2) == .duplicate)
        #expect(table.apply(event(.completed), deliveryID: nil, sequence: 3, time: 3) == .changed(from: .inProgress))
        #expect(table.isDuplicate(event(.completed), deliveryID: nil))
        #expect(!table.isDuplicate(event(.completed), deliveryID: "msg_9"))  // a new delivery id is news
    }

    @Test func dedupeKeysPreferTheDeliveryID() {
        let e = event(.completed)
        #expect(e.dedupeKey(deliveryID: "msg_1") != e.dedupeKey(deliveryID: "msg_2"))
        #expect(e.dedupeKey(deliveryID: nil) == e.dedupeKey(deliveryID: ""))
        #expect(e.dedupeKey(deliveryID: nil) != event(.failed).dedupeKey(deliveryID: nil))
        // The pieces, separated by U+001F, as journals and checkpoints written before hold them.
        #expect(e.dedupeKey(deliveryID: "msg_1") == "freepik\u{1F}id\u{1F}msg_1\u{1F}t1")
        #expect(e.dedupeKey(deliveryID: nil) == "freepik\u{1F}task\u{1F}t1\u{1F}\(TaskStatus.completed.rawValue)")
    }

    @Test func applyingTheSameEventsTwiceInAnyInterleavingGivesTheSameTable() {
        var rng = SystemRandomNumberGenerator()
        let statuses: [TaskStatus] = [.created, .inProgress, .inProgress, .completed, .failed]
        var events: [(TaskEvent, String)] = []
        for i in 0..<200 {
            let e = event(statuses[i % statuses.count], task: "t\(i % 17)", results: ["u\(i)"])
            events.append((e, "msg_\(i)"))
        }
        var once = TaskTable()
        for (i, (e, key)) in events.enumerated() {
            once.apply(e, deliveryID: key, sequence: UInt64(i + 1), time: Int64(i))
        }
        var twice = TaskTable()
        for (i, (e, key)) in events.enumerated() {
            twice.apply(e, deliveryID: key, sequence: UInt64(i + 1), time: Int64(i))
            if Bool.random(using: &rng) { twice.apply(e, deliveryID: key, sequence: UInt64(i + 1), time: Int64(i)) }
        }
        #expect(once.tasks == twice.tasks)
    }

    @Test func aCheckpointRoundTripsTheWholeTable() throws {
        var table = TaskTable()
        table.apply(event(.inProgress, task: "a"), deliveryID: "1", sequence: 1, time: 10)
        table.apply(
            TaskEvent(taskID: "a", provider: "fal", status: .failed, error: "boom"), deliveryID: "2", sequence: 2,
            time: 20)
        table.apply(
            event(.completed, task: "b", results: ["https://x/1.mp4", "https://x/2.mp4"]), deliveryID: "3", sequence: 5,
            time: 30)
        table.advance(to: 9)
        let decoded = try TaskTable(decoding: table.encoded())
        #expect(decoded == table)
        #expect(decoded.isDuplicate(event(.completed, task: "b"), deliveryID: "3"))
        #expect(decoded.lastSequence == 9)
    }

    /// The checkpoint thread encodes in pieces from one reused buffer: whatever the piece size,
    /// the pieces joined are the whole encoding, and none but the last is much under the size.
    @Test(arguments: [1, 7, 64, 1 << 20])
    func aCheckpointEncodedInPiecesIsTheSameBytes(pieceSize: Int) throws {
        var table = TaskTable()
        for i in 0..<200 {
            table.apply(
                event(.completed, task: "t\(i)", results: ["https://x/\(i).mp4"]), deliveryID: "\(i)",
                sequence: UInt64(i + 1), time: Int64(i))
        }
        var pieces: [[UInt8]] = []
        table.snapshot.encode(pieceSize: pieceSize) { pieces.append(Array($0)) }
        #expect(pieces.joined().elementsEqual(table.encoded()))
        #expect(pieces.dropLast().allSatisfy { $0.count > pieceSize })
        #expect(pieceSize < 1 << 16 ? pieces.count > 1 : pieces.count == 1)
        #expect(try TaskTable(decoding: Array(pieces.joined())) == table)
    }

    @Test func aDamagedCheckpointIsRefusedWithWhereItBroke() {
        var table = TaskTable()
        table.apply(event(.completed, results: ["u"]), deliveryID: "k", sequence: 1, time: 1)
        let bytes = table.encoded()
        #expect(throws: DecodeError.self) { try TaskTable(decoding: Array(bytes.dropLast(3))) }
        #expect(throws: DecodeError.self) { try TaskTable(decoding: Array("NOTTABLE".utf8) + bytes.dropFirst(8)) }
        #expect(throws: DecodeError.self) { try TaskTable(decoding: bytes + [0]) }
    }
}

@Suite struct DeliveryCodecTests {
    @Test func aDeliveryRoundTripsWithItsRawBody() throws {
        let delivery = Delivery(
            route: "/hooks/freepik", provider: "freepik", remoteAddress: "127.0.0.1:5000",
            deliveryID: "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W",
            headers: [
                .init(name: "webhook-id", value: "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W"),
                .init(name: "content-type", value: "application/json"),
            ],
            body: Array(#"{"task_id":"x","status":"COMPLETED","generated":["https://a/b.mp4"]}"#.utf8) + [0xFF, 0x00],
            events: [TaskEvent(taskID: "x", provider: "freepik", status: .completed, results: ["https://a/b.mp4"])],
            note: nil)
        #expect(try Delivery(decoding: delivery.encoded()) == delivery)
    }

    @Test func everyTruncationOfAnEncodedDeliveryIsRejected() {
        let delivery = Delivery(
            route: "/r", provider: "p", remoteAddress: "a", deliveryID: nil, headers: [], body: [1, 2, 3],
            events: [TaskEvent(taskID: "t", provider: "p", status: .failed, error: "e")], note: "n")
        let bytes = delivery.encoded()
        for cut in 0..<bytes.count {
            #expect(throws: DecodeError.self) { try Delivery(decoding: Array(bytes[..<cut])) }
        }
    }
}

@Suite struct TaskKeyTests {
    func event(_ provider: String, _ id: String, _ status: TaskStatus, results: [String] = []) -> TaskEvent {
        TaskEvent(taskID: id, provider: provider, status: status, results: results)
    }

    @Test func twoProvidersWithTheSameTaskIdHaveTwoTasks() {
        var table = TaskTable()
        #expect(
            table.apply(
                event("fal", "42", .completed, results: ["https://fal/v.mp4"]), deliveryID: nil, sequence: 1, time: 1)
                == .created)
        #expect(table.apply(event("kling", "42", .inProgress), deliveryID: nil, sequence: 2, time: 2) == .created)
        #expect(table.count == 2)
        #expect(table[TaskKey(provider: "fal", id: "42")]?.results == ["https://fal/v.mp4"])
        #expect(table[TaskKey(provider: "kling", id: "42")]?.results == [])
        // The same status from the other provider is news, not a duplicate.
        #expect(!table.isDuplicate(event("kling", "42", .completed), deliveryID: nil))
        #expect(table.isDuplicate(event("fal", "42", .completed), deliveryID: nil))
    }

    @Test func aBareIdNamesATaskOnlyWhenOneProviderHasIt() {
        var table = TaskTable()
        table.apply(event("fal", "42", .completed), deliveryID: nil, sequence: 1, time: 1)
        table.apply(event("fal", "only", .completed), deliveryID: nil, sequence: 2, time: 1)
        table.apply(event("kling", "42", .failed), deliveryID: nil, sequence: 3, time: 1)
        #expect(table.resolve("only") == .task(table[TaskKey(provider: "fal", id: "only")]!))
        #expect(
            table.resolve("42")
                == .ambiguous([TaskKey(provider: "fal", id: "42"), TaskKey(provider: "kling", id: "42")]))
        #expect(table.resolve("kling:42") == .task(table[TaskKey(provider: "kling", id: "42")]!))
        #expect(table.resolve("kling:nothing") == .unknown)
        #expect(table["42"] == nil)
    }

    @Test func anIdHoldingAColonIsFoundBareAndQualified() {
        var table = TaskTable()
        table.apply(event("standard-webhooks", "job:7", .completed), deliveryID: nil, sequence: 1, time: 1)
        let task = table[TaskKey(provider: "standard-webhooks", id: "job:7")]!
        #expect(table.resolve("job:7") == .task(task))
        #expect(table.resolve("standard-webhooks:job:7") == .task(task))
        #expect(TaskKey(qualified: "standard-webhooks:job:7") == TaskKey(provider: "standard-webhooks", id: "job:7"))
        #expect(TaskKey(qualified: "no-colon") == nil)
        #expect(TaskKey(qualified: ":x") == nil)
    }

    @Test func theExternalIdIsKeptAndSurvivesACheckpoint() throws {
        var table = TaskTable()
        var first = event("kling", "k1", .inProgress)
        first.externalID = "order-17"
        table.apply(first, deliveryID: nil, sequence: 1, time: 1)
        // A later report without it does not erase it.
        table.apply(event("kling", "k1", .completed), deliveryID: nil, sequence: 2, time: 2)
        #expect(table[TaskKey(provider: "kling", id: "k1")]?.externalID == "order-17")
        let decoded = try TaskTable(decoding: table.encoded())
        #expect(decoded == table)
        #expect(decoded.providers.dictionary == ["kling": 1])
    }

    @Test func forgettingTasksKeepsTheProviderCountsRight() {
        var table = TaskTable()
        table.apply(event("fal", "old", .completed), deliveryID: nil, sequence: 1, time: 1)
        table.apply(event("kling", "new", .completed), deliveryID: nil, sequence: 2, time: 100)
        #expect(table.forgetTasks(lastHeardBefore: 50) == 1)
        #expect(table.providers.dictionary == ["kling": 1])
        #expect(table.resolve("old") == .unknown)
    }
}

@Suite struct ProviderCountsTests {
    static func task(_ provider: String, _ id: String) -> PackedTask {
        PackedTask(
            TrackedTask(
                id: id, provider: provider, status: .completed, results: [], error: nil, firstSeen: 1, updated: 1,
                reports: []))
    }

    /// Names are compared as bytes, length included: "fal" is not "fal2" nor "fa".
    @Test func eachIdentityIsCountedAndDroppedAtNone() {
        var counts = ProviderCounts()
        for (provider, id) in [("fal", "a"), ("fal2", "b"), ("fal", "c"), ("fa", "d")] {
            counts.add(Self.task(provider, id), 1)
        }
        #expect(counts.dictionary == ["fal": 2, "fal2": 1, "fa": 1])
        counts.add(Self.task("fal2", "b"), -1)
        #expect(counts.dictionary == ["fal": 2, "fa": 1])
        #expect(Set(counts.names) == ["fal", "fa"])
    }

    @Test func theSameCountsAreEqualWhateverTheOrderTheyCameIn() {
        var a = ProviderCounts()
        var b = ProviderCounts()
        a.add(Self.task("x", "1"), 1)
        a.add(Self.task("y", "2"), 1)
        b.add(Self.task("y", "2"), 1)
        b.add(Self.task("x", "1"), 1)
        #expect(a == b)
        b.add(Self.task("x", "3"), 1)
        #expect(a != b)
    }
}
