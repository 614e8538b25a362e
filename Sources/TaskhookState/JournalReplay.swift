import TaskhookCore
import TaskhookJournal

/// Rebuilds the task table from the newest checkpoint and the records after it.
public enum JournalReplay {
    public struct Result: Sendable {
        public var table: TaskTable
        public var recovery: JournalDirectory.Recovery
        /// The sequence the checkpoint covered (0 without one).
        public var checkpoint: UInt64
        public var skippedCheckpoints: [JournalDirectory.Problem]
        public var replayed: Int
    }

    /// Recovers the directory (a torn tail is cut off), loads the checkpoint and replays.
    public static func open(_ directory: JournalDirectory) throws(JournalError) -> Result {
        let recovery = try directory.recover()
        var table = TaskTable()
        var covered: UInt64 = 0
        var skipped: [JournalDirectory.Problem] = []
        if let checkpoint = try Checkpoint.latest(in: directory) {
            skipped = checkpoint.skipped
            if !checkpoint.payload.isEmpty || checkpoint.sequence > 0 {
                do {
                    table = try TaskTable(decoding: checkpoint.payload)
                } catch {
                    throw .inconsistent("checkpoint covering \(checkpoint.sequence) cannot be read: \(error)")
                }
                covered = checkpoint.sequence
            }
        }
        guard covered <= recovery.lastSequence else {
            throw .inconsistent(
                "the checkpoint covers up to \(covered) but the journal ends at \(recovery.lastSequence): records are missing"
            )
        }
        var replayed = 0
        // Most records carry a task of their own: room for them up front saves rehashing.
        table.reserveCapacity(Int(min(recovery.lastSequence - covered, 4_000_000)))
        try directory.replay(after: covered) { (record: RecordView) throws(JournalError) in
            try apply(record, to: &table)
            replayed += 1
        }
        return Result(
            table: table, recovery: recovery, checkpoint: covered, skippedCheckpoints: skipped, replayed: replayed)
    }

    /// Applies one durable record to the table.
    @discardableResult
    public static func apply(_ record: RecordView, to table: inout TaskTable) throws(JournalError)
        -> [(TaskEvent, TaskTable.Outcome)]
    {
        table.advance(to: record.sequence)
        guard record.kind == .delivery else { return [] }
        var reader = ByteReader(record.body)
        let decoded: (deliveryID: String?, events: [TaskEvent])
        do {
            decoded = try Delivery.events(reading: &reader)
        } catch {
            throw .inconsistent("record \(record.sequence) is not a readable delivery: \(error)")
        }
        return decoded.events.map { event in
            let outcome = table.apply(
                event, deliveryID: decoded.deliveryID, sequence: record.sequence, time: record.time)
            return (event, outcome)
        }
    }
}
