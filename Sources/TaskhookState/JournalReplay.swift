import TaskhookCore
import TaskhookJournal

/// Rebuilds the task table from the newest checkpoint and the records after it, and finds the
/// unparsed callbacks still waiting to be read.
public enum JournalReplay {
    public struct Result: Sendable {
        public var table: TaskTable
        public var recovery: JournalDirectory.Recovery
        /// The sequence the checkpoint covered (0 without one).
        public var checkpoint: UInt64
        public var skippedCheckpoints: [JournalDirectory.Problem]
        public var replayed: Int
        /// Every authentic callback the journal holds that no profile has read yet, in journal
        /// order: the ones a later re-read record applied are not among them.
        public var unparsed: [UnparsedCallback]
    }

    /// Loads the newest intact checkpoint, recovers the directory (a torn tail is cut off, but
    /// only once the journal is known to reach the checkpoint) and replays what follows.
    ///
    /// Unparsed records are looked for in the whole journal, not only after the checkpoint: one
    /// the checkpoint covers may become readable after an upgrade. Records the checkpoint covers
    /// are only read for their kind and, for deliveries, their re-read marker.
    public static func open(_ directory: JournalDirectory) throws(JournalError) -> Result {
        var table = TaskTable()
        var covered: UInt64 = 0
        var skipped: [JournalDirectory.Problem] = []
        do throws(JournalError) {
            if let checkpoint = try Checkpoint.latest(in: directory) {
                skipped = checkpoint.skipped
                if checkpoint.sequence > 0 {
                    do {
                        table = try checkpoint.withPayload { (payload) throws(DecodeError) in
                            try TaskTable(decoding: payload, inBulk: true)
                        }
                    } catch {
                        throw JournalError.inconsistent(
                            "checkpoint covering \(checkpoint.sequence) cannot be read: \(error)")
                    }
                    covered = checkpoint.sequence
                }
            }
            return try replay(directory, onto: consume table, covered: covered, skipped: skipped)
        } catch .inconsistent(let reason) where !skipped.isEmpty {
            // Records missing after damaged checkpoints were passed over: the damage is the cause.
            throw .inconsistent(
                reason + "; passed over damaged checkpoints: " + skipped.map(\.description).joined(separator: "; "))
        }
    }

    private static func replay(
        _ directory: JournalDirectory, onto table: consuming TaskTable, covered: UInt64,
        skipped: [JournalDirectory.Problem]
    ) throws(JournalError) -> Result {
        // The table is handed on, never copied: a second reference to it would make the first
        // change to each shard copy that shard, the whole table once over.
        table.beginBulkLoad()  // again when no checkpoint started it
        let recovery = try directory.recover(checkpointCovering: covered)
        // Most records carry a task of their own: room for them up front saves rehashing.
        table.reserveCapacity(Int(min(recovery.lastSequence - covered, 4_000_000)))
        let oldest = (try directory.segments().first?.firstSequence ?? 1) - 1
        let applying = Applying(consume table)
        let decoder = ReplayDecoder()
        try decoder.run(directory, after: min(oldest, covered), covered: covered) {
            (batch) throws(JournalError) in try applying.apply(batch)
        }
        var replayedTable = applying.takeTable()
        replayedTable.endBulkLoad()
        return Result(
            table: replayedTable, recovery: recovery, checkpoint: covered, skippedCheckpoints: skipped,
            replayed: applying.replayed, unparsed: decoder.unparsed.waiting)
    }

    /// The table while a replay's thread applies batches to it (`ReplayDecoder.run`); read once
    /// that thread has ended.
    private final class Applying: @unchecked Sendable {
        // @unchecked: touched by the applying thread only, then by the caller after joining it.
        private var table: TaskTable
        private(set) var replayed = 0

        init(_ table: consuming TaskTable) { self.table = table }

        /// The table, leaving none here (so the caller's is the only reference to it).
        func takeTable() -> TaskTable {
            var taken = TaskTable()
            swap(&taken, &table)
            return taken
        }

        func apply(_ batch: [ReplayDecoder.Item]) throws(JournalError) {
            for item in batch {
                switch item {
                case .newTask(let task, let sequence):
                    table.advance(to: sequence)
                    table.apply(newTask: task)
                case .other(let record):
                    // Rare (expectations, deadlines, forgetting, deliveries of several events):
                    // read as it was.
                    try record.body.withUnsafeBytes { body in
                        Swift.Result { () throws(JournalError) in
                            let view = RecordView(
                                sequence: record.sequence, time: record.time, kind: record.kind, body: body)
                            _ = try JournalReplay.apply(view, to: &table)
                        }
                    }.get()
                }
                replayed += 1
            }
        }
    }

    /// Applies one durable record to the table. A re-read record's events are applied with the
    /// sequence and time of the unparsed record it stands for.
    @discardableResult
    public static func apply(_ record: RecordView, to table: inout TaskTable) throws(JournalError)
        -> [(TaskEvent, TaskTable.Outcome)]
    {
        table.advance(to: record.sequence)
        switch record.kind {
        case .forget:
            guard let cutoff = forgetCutoff(record.body) else {
                throw .inconsistent("record \(record.sequence) is not a readable forget record")
            }
            table.forgetTasks(lastHeardBefore: cutoff)
            return []
        case .expect:
            do {
                table.expect(try ExpectRecord(decoding: record.body), sequence: record.sequence, time: record.time)
            } catch {
                throw .inconsistent("record \(record.sequence) is not a readable expect record: \(error)")
            }
            return []
        case .deadline:
            guard let deadline = DeadlineRecord(decoding: record.body) else {
                throw .inconsistent("record \(record.sequence) is not a readable deadline record")
            }
            guard let outcome = table.reachDeadline(deadline, sequence: record.sequence, time: record.time),
                case .task(let key) = deadline
            else { return [] }
            return [(TaskTable.deadlineEvent(key), outcome)]
        case .delivery, .observation:
            break
        case .unparsed, .checkpoint:
            return []
        }
        return apply(try decode(record), kind: record.kind, sequence: record.sequence, time: record.time, to: &table)
    }

    /// What a delivery or observation record carries, read from its body.
    typealias DecodedDelivery = (deliveryID: String?, events: [TaskEvent], rereads: Delivery.Reread?)

    static func decode(_ record: RecordView) throws(JournalError) -> DecodedDelivery {
        var reader = ByteReader(record.body)
        do {
            return try Delivery.events(reading: &reader)
        } catch {
            throw .inconsistent("record \(record.sequence) is not a readable delivery: \(error)")
        }
    }

    /// Applies a decoded delivery or observation. A re-read record's events are applied with
    /// the sequence and time of the unparsed record it stands for.
    @discardableResult
    static func apply(
        _ decoded: DecodedDelivery, kind: RecordKind, sequence: UInt64, time: Int64, to table: inout TaskTable
    ) -> [(TaskEvent, TaskTable.Outcome)] {
        let sequence = decoded.rereads?.sequence ?? sequence
        let time = decoded.rereads?.time ?? time
        let source: TrackedTask.Report.Source = kind == .observation ? .observation : .callback
        return decoded.events.map { event in
            (
                event,
                table.apply(event, deliveryID: decoded.deliveryID, source: source, sequence: sequence, time: time)
            )
        }
    }

    static func rereadMarker(_ record: RecordView) throws(JournalError) -> Delivery.Reread? {
        var reader = ByteReader(record.body)
        do {
            return try Delivery.rereadMarker(reading: &reader)
        } catch {
            throw .inconsistent("record \(record.sequence) is not a readable delivery: \(error)")
        }
    }

    /// The body of a `forget` record: the cutoff, Unix milliseconds, little-endian.
    public static func forgetBody(lastHeardBefore cutoff: Int64) -> [UInt8] {
        withUnsafeBytes(of: cutoff.littleEndian) { Array($0) }
    }

    /// The cutoff a `forget` record's body holds; nil if it is not one.
    public static func forgetCutoff(_ body: some Collection<UInt8>) -> Int64? {
        guard body.count == 8 else { return nil }
        return body.reversed().reduce(Int64(0)) { $0 << 8 | Int64($1) }
    }
}
