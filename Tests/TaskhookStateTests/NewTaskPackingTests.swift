import Foundation
import TaskhookCore
import TaskhookJournal
import TestSupport
import Testing

@testable import TaskhookState

/// Replay packs a record's one event as the task it starts (`PackedTask(newTaskIn:)`) and the
/// table stores that as it is when the key is new: the bytes must be those the table stores
/// when it applies the event itself, and anything not covered must be left to the general way.
@Suite struct NewTaskPackingTests {
    static func delivery(
        _ events: [TaskEvent], deliveryID: String? = "msg-1", rereads: Delivery.Reread? = nil
    ) -> Delivery {
        Delivery(
            route: "/hooks/freepik", provider: "freepik", remoteAddress: "10.0.0.1", deliveryID: deliveryID,
            headers: [.init(name: "webhook-id", value: "msg-1"), .init(name: "x-other", value: "é")],
            body: Array(#"{"task_id":"t1"}"#.utf8), events: events, note: "a note", rereads: rereads)
    }

    static func event(
        _ id: String = "t1", _ status: TaskStatus = .completed, provider: String = "freepik", results: [String] = [],
        error: String? = nil, externalID: String? = nil
    ) -> TaskEvent {
        TaskEvent(
            taskID: id, provider: provider, status: status, results: results, error: error, externalID: externalID)
    }

    /// `body` read in place as a record, as replay reads it.
    static func withRecord<T>(
        _ body: [UInt8], kind: RecordKind = .delivery, sequence: UInt64 = 7, time: Int64 = 5_000,
        _ read: (RecordView) throws -> T
    ) rethrows -> T {
        try body.withUnsafeBytes { try read(RecordView(sequence: sequence, time: time, kind: kind, body: $0)) }
    }

    /// Every shape of a one-event record, by name.
    static let shapes: [String: (Delivery, RecordKind)] = [
        "a callback": (delivery([event()]), .delivery),
        "no delivery id": (delivery([event("t1", .inProgress)], deliveryID: nil), .delivery),
        "an empty delivery id, two results": (
            delivery([event("t1", .completed, results: ["https://cdn/a.mp4", "https://cdn/b.mp4"])], deliveryID: ""),
            .delivery
        ),
        "an error and an external id": (
            delivery([event("t1", .failed, error: "quota exceeded", externalID: "mine-7")]), .delivery
        ),
        "another provider, an empty external id": (
            delivery([event("t1", .canceled, provider: "kling", externalID: "")]), .delivery
        ),
        "a re-read": (delivery([event("t1", .created)], rereads: Delivery.Reread(sequence: 3, time: 1_234)), .delivery),
        "an observation": (delivery([event("t1", .inProgress)], deliveryID: nil), .observation),
        "a long id": (
            delivery([event(String(repeating: "x", count: 600), .completed, results: ["https://cdn/x"])]), .delivery
        ),
    ]

    /// The packed task is the one applying the event stores.
    @Test(arguments: shapes.keys.sorted())
    func aRecordsOneEventIsPackedAsTheTaskItStarts(shape: String) throws {
        let (delivery, kind) = try #require(Self.shapes[shape])
        let event = delivery.events[0]
        var live = TaskTable()
        live.apply(
            event, deliveryID: delivery.deliveryID, source: kind == .observation ? .observation : .callback,
            sequence: delivery.rereads?.sequence ?? 7, time: delivery.rereads?.time ?? 5_000)
        let stored = try #require(live.tasks.packed(event.key))
        let packed = try #require(Self.withRecord(delivery.encoded(), kind: kind) { PackedTask(newTaskIn: $0) })
        #expect(packed.bytes == stored.bytes)
        #expect(packed.keyHash == PackedTask.keyHash(event.key))
        #expect(packed.bytes.capacity - packed.bytes.count < 48)
        var replayed = TaskTable()
        #expect(replayed.apply(newTask: packed) == .created)
        replayed.advance(to: 7)
        live.advance(to: 7)
        #expect(replayed == live)
    }

    /// What the packing does not cover is decoded the general way, which repairs, refuses or
    /// applies it as it always did.
    @Test func recordsItDoesNotCoverAreLeftToTheGeneralWay() throws {
        let bodies: [(String, [UInt8], RecordKind)] = [
            ("two events", Self.delivery([Self.event("a"), Self.event("b")]).encoded(), .delivery),
            ("no event", Self.delivery([]).encoded(), .delivery),
            ("an id not ASCII", Self.delivery([Self.event("tâche")]).encoded(), .delivery),
            ("a result not ASCII", Self.delivery([Self.event(results: ["https://cdn/é"])]).encoded(), .delivery),
            ("an error not ASCII", Self.delivery([Self.event("t1", .failed, error: "échec")]).encoded(), .delivery),
            ("a delivery id not ASCII", Self.delivery([Self.event()], deliveryID: "é").encoded(), .delivery),
            ("an unknown status", Self.body(status: "finished"), .delivery),
            ("format 1", Self.body(version: 1), .delivery),
            ("cut short", Array(Self.delivery([Self.event()]).encoded().dropLast(12)), .delivery),
            ("an expect record", Self.delivery([Self.event()]).encoded(), .expect),
        ]
        for (name, body, kind) in bodies {
            #expect(Self.withRecord(body, kind: kind) { PackedTask(newTaskIn: $0) } == nil, "\(name)")
        }
        // The body format 1 has is read the general way still.
        var table = TaskTable()
        try Self.withRecord(Self.body(version: 1)) { _ = try JournalReplay.apply($0, to: &table) }
        #expect(table[TaskKey(provider: "freepik", id: "t1")]?.status == .completed)
    }

    /// A delivery body written by hand: format `version`, one event with `status` spelled as given.
    static func body(version: UInt8 = 2, status: String = "completed") -> [UInt8] {
        var w = ByteWriter()
        w.u8(version)
        if version >= 2 { w.u8(0) }  // no re-read marker
        for text in ["/hooks/freepik", "freepik", "10.0.0.1"] { w.string(text) }
        w.optionalString("msg-1")
        w.u32(0)  // headers
        w.bytes([])
        w.u32(1)
        for text in ["t1", "freepik", status] { w.string(text) }
        w.u32(0)  // results
        w.optionalString(nil)
        if version >= 2 { w.optionalString(nil) }
        w.optionalString(nil)  // note
        return w.bytes
    }

    /// Events for tasks the table knows (repeats, late news, duplicates, news after the end)
    /// change it as applying them does.
    @Test func anEventForAKnownTaskIsAppliedAsTheEventItself() throws {
        let steps: [(TaskEvent, String?)] = [
            (Self.event("a", .created), nil), (Self.event("a", .inProgress), "d1"),
            (Self.event("a", .inProgress), "d1"),
            (Self.event("a", .inProgress), "d2"), (Self.event("a", .completed, results: ["https://r"]), "d3"),
            (Self.event("a", .inProgress), "d4"), (Self.event("a", .failed, error: "late"), "d5"),
            (Self.event("a", .completed), nil), (Self.event("a", .completed), nil),
            (Self.event("b", .created, provider: "kling", externalID: "x"), nil),
            (Self.event("b", .completed, provider: "kling"), "k1"),
        ]
        var live = TaskTable()
        var replayed = TaskTable()
        for (index, (event, deliveryID)) in steps.enumerated() {
            let sequence = UInt64(index + 1)
            let time = Int64(index) * 10
            let expected = live.apply(event, deliveryID: deliveryID, sequence: sequence, time: time)
            let packed = try #require(
                Self.withRecord(
                    Self.delivery([event], deliveryID: deliveryID).encoded(), sequence: sequence, time: time
                ) {
                    PackedTask(newTaskIn: $0)
                })
            #expect(replayed.apply(newTask: packed) == expected, "step \(index)")
        }
        #expect(replayed == live)
        #expect(replayed[TaskKey(provider: "freepik", id: "a")]?.reports.count == 7)
    }

    /// A journal of every kind of record replays to the table the live daemon built: the
    /// records packed on the decoding thread and those read the general way, in journal order.
    @Test func aReplayedJournalGivesTheTableTheLiveOneBuilt() throws {
        let directory = JournalDirectory(path: DaemonProcess.temporaryDirectory())
        let writer = try GroupCommitWriter(
            directory: directory, recovery: try directory.recover(), options: JournalOptions())
        var live = TaskTable()
        var sequence: UInt64 = 0
        func deliver(_ delivery: Delivery, kind: RecordKind = .delivery, time: Int64) {
            _ = writer.append(kind: kind, time: time, body: delivery.encoded())
            sequence += 1
            for event in delivery.events {
                live.apply(
                    event, deliveryID: delivery.deliveryID, source: kind == .observation ? .observation : .callback,
                    sequence: delivery.rereads?.sequence ?? sequence, time: delivery.rereads?.time ?? time)
            }
            live.advance(to: sequence)
        }
        for n in 0..<1_500 {
            let id = "t\(n % 1_000)"  // a third of them are news of a known task
            let status: TaskStatus = n < 1_000 ? .inProgress : .completed
            deliver(
                Self.delivery([Self.event(id, status, results: ["https://cdn/\(n)"])], deliveryID: "d\(n)"),
                time: Int64(n))
        }
        deliver(Self.delivery([Self.event("t5", .completed)], deliveryID: "d1005"), time: 2_000)  // a duplicate
        deliver(Self.delivery([Self.event("tâche", .completed)]), time: 2_001)
        deliver(Self.delivery([Self.event("m1"), Self.event("m2", .failed, error: "no")]), time: 2_002)
        deliver(Self.delivery([Self.event("t7", .failed)], deliveryID: nil), kind: .observation, time: 2_003)
        deliver(
            Self.delivery([Self.event("r1", .completed)], rereads: Delivery.Reread(sequence: 2, time: 1)), time: 2_004)
        writer.close()
        let replay = try JournalReplay.open(directory)
        #expect(replay.replayed == 1_505)
        #expect(replay.table == live)
        #expect(replay.table.count == 1_004)
    }

    /// The journal fuzzer's seed of deliveries (control byte 1, then a format 2 batch after the
    /// header page) must stay records that replay packs or reads the general way, or the
    /// fuzzer's comparison of the two starts from nothing that reaches them.
    @Test func theFuzzersDeliverySeedReplaysToItsTasks() throws {
        let seed = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../fuzz/corpus/journal/deliveries")
        let bytes = [UInt8](try Data(contentsOf: seed))
        #expect(bytes.first == 1)
        let path = DaemonProcess.temporaryDirectory()
        try Data(Segment.header(firstSequence: 1) + bytes.dropFirst())
            .write(to: URL(fileURLWithPath: path + "/" + Segment.fileName(firstSequence: 1)))
        let replay = try JournalReplay.open(JournalDirectory(path: path))
        #expect(replay.replayed == 5)
        let table = replay.table
        func task(_ id: String) -> TrackedTask? { table[TaskKey(provider: "freepik", id: id)] }
        #expect(task("t-1")?.status == .completed && task("t-1")?.results == ["https://cdn/t-1.mp4"])
        #expect(task("t-1")?.reports.map(\.deliveryID) == ["msg-1", "msg-2"])
        #expect(task("t-2")?.error == "no" && task("t-3")?.externalID == "mine")
        #expect(task("t-4")?.reports.map(\.source) == [.observation])
        #expect(task("t-é")?.status == .completed)
    }
}
