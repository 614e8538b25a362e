import Foundation
import TaskhookCore
import Testing

@testable import TaskhookState

@Suite struct CheckpointFormatTests {
    static func table() -> TaskTable {
        var table = TaskTable()
        table.apply(
            TaskEvent(taskID: "t-1", provider: "freepik", status: .completed, results: ["https://cdn/1.mp4"]),
            deliveryID: "msg-1", sequence: 1, time: 10)
        table.apply(
            TaskEvent(taskID: "k-2", provider: "kling", status: .inProgress, externalID: "mine"), deliveryID: nil,
            sequence: 2, time: 11)
        table.apply(
            TaskEvent(taskID: "k-2", provider: "kling", status: .failed, error: "quota"), deliveryID: nil,
            source: .observation, sequence: 3, time: 12)
        table.expect(
            ExpectRecord(provider: "fal", id: "e-3", statusURL: "https://queue/e-3", deadline: 99), sequence: 4,
            time: 13)
        return table
    }

    /// A checkpoint as the version before packed tasks wrote it (THTABLE4), field by field.
    static func version4(_ table: TaskTable) -> [UInt8] {
        var w = ByteWriter()
        for b in "THTABLE4".utf8 { w.u8(b) }
        w.u64(table.lastSequence)
        w.u32(UInt32(table.count))
        for task in table.tasks.values {
            w.string(task.id)
            w.string(task.provider)
            w.string(task.status.rawValue)
            w.u32(UInt32(task.results.count))
            for url in task.results { w.string(url) }
            w.optionalString(task.error)
            w.i64(task.firstSeen)
            w.i64(task.updated)
            w.u32(UInt32(task.reports.count))
            for d in task.reports {
                w.u64(d.sequence)
                w.string(d.status.rawValue)
                w.i64(d.time)
                w.u8(d.applied ? 1 : 0)
                w.optionalString(d.deliveryID)
                w.u8(d.source.rawValue)
            }
            w.optionalString(task.externalID)
            w.expectation(task.expectation)
        }
        w.u32(0)
        return w.bytes
    }

    @Test func aCheckpointOfTheVersionBeforeIsReadIntoTheSameTable() throws {
        let table = Self.table()
        #expect(try TaskTable(decoding: Self.version4(table)) == table)
        #expect(try TaskTable(decoding: table.encoded()) == table)
        #expect(table.encoded().starts(with: Array("THTABLE5".utf8)))
    }

    @Test func aReadTaskIsFoundByItsKeyAndInTheOrderAsTheWrittenOneWas() throws {
        let read = try TaskTable(decoding: Self.table().encoded())
        #expect(read[TaskKey(provider: "kling", id: "k-2")]?.error == "quota")
        #expect(read.awaited == [TaskKey(provider: "fal", id: "e-3")])
        #expect(
            read.order.page(since: .min, after: nil, limit: 10) { _ in true }.tasks.map(\.key.id) == [
                "t-1", "k-2", "e-3",
            ])
    }

    /// Each packed task's fields are checked as it is read, so a damaged checkpoint whose
    /// checksum still matched is refused, never unpacked into a crash later.
    @Test func aPackedTaskWithABadFieldIsRefusedWhereItIs() throws {
        let good = Self.table().encoded()
        // The first task starts after the magic, the sequence, the count and its own length.
        let task = 8 + 8 + 4 + 4
        let damages: [(String, (inout [UInt8]) -> Void)] = [
            ("status", { $0[task] = 9 }),
            ("flags", { $0[task + 1] = 4 }),
            ("provider length", { $0[task + 2] = 0xFF }),
            (
                "no provider",
                {
                    $0[task + 2] = 0
                    $0[task + 3] = 0
                }
            ),
            ("length", { $0[task - 4] = 3 }),
        ]
        for (name, damage) in damages {
            var bytes = good
            damage(&bytes)
            #expect(throws: DecodeError.self, "\(name)") { try TaskTable(decoding: bytes) }
        }
    }

    /// The journal fuzzer's seed for its checkpoint mode (control byte 8, then a checkpoint after
    /// its magic) must stay a valid checkpoint, or the fuzzer starts from nothing it can read.
    @Test func theFuzzersCheckpointSeedReadsAsATableOfOneTask() throws {
        let seed = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../fuzz/corpus/journal/checkpoint-one-task")
        let bytes = [UInt8](try Data(contentsOf: seed))
        #expect(bytes.first == 8)
        let table = try TaskTable(decoding: Array("THTABLE5".utf8) + bytes.dropFirst())
        let task = try #require(table[TaskKey(provider: "freepik", id: "t-1")])
        #expect(task.status == .completed && task.results == ["https://cdn/t-1.mp4"])
        #expect(task.reports.map(\.deliveryID) == [nil, "msg-2"])
        #expect(try TaskTable(decoding: table.encoded()) == table)
    }
}

extension CheckpointFormatTests {
    /// A damaged field deep in a packed task is named at its offset in the checkpoint.
    @Test func aBadOptionalTagIsNamedWhereItIsInTheCheckpoint() throws {
        var bytes = Self.table().encoded()
        let task = 8 + 8 + 4 + 4  // the first task's bytes start here
        let providerCount = Int(bytes[task + 2]) | Int(bytes[task + 3]) << 8
        let idCount = Int(bytes[task + 4])
        var at = task + 40 + providerCount + idCount + 8  // past the header, the key, first seen
        let results = Int(bytes[at])
        at += 4
        for _ in 0..<results { at += 4 + Int(bytes[at]) }  // each result: its length, its bytes
        bytes[at] = 7  // the error's optional tag
        #expect(throws: DecodeError(reason: "invalid optional tag 7", offset: at)) {
            try TaskTable(decoding: bytes)
        }
    }
}

@Suite struct ReusedWriterTests {
    func delivery(_ id: String, body: Int) -> Delivery {
        Delivery(
            route: "/hooks/freepik", provider: "freepik", remoteAddress: "127.0.0.1:4000", deliveryID: "msg_\(id)",
            headers: [.init(name: "webhook-id", value: "msg_\(id)")], body: Array(repeating: 0x61, count: body),
            events: [TaskEvent(taskID: id, provider: "freepik", status: .completed, results: ["https://r/\(id)"])])
    }

    @Test func recordsEncodedThroughOneWriterAreTheirOwnBytes() throws {
        var writer = ByteWriter()
        var taken: [[UInt8]] = []
        for (index, size) in [300, 5, 70_000, 40].enumerated() {
            delivery("t\(index)", body: size).encode(into: &writer)
            taken.append(writer.takeBytes())
            #expect(writer.bytes.isEmpty)
        }
        // Each is what encoding the delivery alone gives, unchanged by the ones after it.
        for (index, size) in [300, 5, 70_000, 40].enumerated() {
            #expect(taken[index] == delivery("t\(index)", body: size).encoded())
            #expect(try Delivery(decoding: taken[index]) == delivery("t\(index)", body: size))
        }
    }
}
