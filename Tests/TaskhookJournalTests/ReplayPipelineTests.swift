import TaskhookCore
import TaskhookState
import Testing

@testable import TaskhookJournal

/// Replay decodes on the caller's thread while a thread of its own applies: whatever stops it,
/// it stops at the record that did, and never waits on the other side for good.
@Suite struct ReplayPipelineTests {
    /// Writes `records` (kind, body) as batches of up to 500 and waits until all are durable.
    func journal(_ records: [(RecordKind, [UInt8])]) throws -> SimulatedDisk {
        let disk = SimulatedDisk()
        let writer = try DiskFaultTests().writer(disk)
        for start in stride(from: 0, to: records.count, by: 500) {
            let slice = records[start..<min(start + 500, records.count)]
            for (kind, body) in slice { _ = writer.append(kind: kind, time: 1_000, body: body) }
            _ = completions(writer, count: slice.count)
        }
        writer.close()
        return disk
    }

    static func delivery(_ id: Int) -> [UInt8] {
        Delivery(
            route: "/h", provider: "freepik", remoteAddress: "test", deliveryID: "d\(id)", headers: [], body: [],
            events: [TaskEvent(taskID: "t\(id)", provider: "freepik", status: .completed)]
        ).encoded()
    }

    @Test func thousandsOfDeliveriesAreAppliedInJournalOrder() throws {
        let disk = try journal((0..<6_000).map { (.delivery, Self.delivery($0)) })
        let result = try DiskFaultTests().start(disk)
        #expect(result.replayed == 6_000 && result.table.count == 6_000)
        #expect(result.table.lastSequence == 6_000)
        #expect(result.table[TaskKey(provider: "freepik", id: "t5999")]?.reports.first?.sequence == 6_000)
    }

    /// The first record cannot be applied while the decoding thread, thousands of records
    /// ahead, waits on a full queue: the start fails naming that record, and returns.
    @Test func aRecordTheTableRefusesEndsTheReplayThoughTheDecoderIsFarAhead() throws {
        let disk = try journal([(.forget, [1, 2, 3])] + (0..<6_000).map { (.delivery, Self.delivery($0)) })
        #expect(throws: JournalError.inconsistent("record 1 is not a readable forget record")) {
            try DiskFaultTests().start(disk)
        }
    }

    @Test func aDeliveryThatDoesNotDecodeEndsTheReplayAtItsRecord() throws {
        let records = (0..<3_000).map { (RecordKind.delivery, Self.delivery($0)) }
        let disk = try journal(records + [(.delivery, [9, 9, 9])] + records)
        #expect {
            try DiskFaultTests().start(disk)
        } throws: { error in
            "\(error)".contains("record 3001 is not a readable delivery")
        }
    }
}
