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
                if !checkpoint.payload.isEmpty || checkpoint.sequence > 0 {
                    do {
                        table = try TaskTable(decoding: checkpoint.payload, inBulk: true)
                    } catch {
                        throw JournalError.inconsistent(
                            "checkpoint covering \(checkpoint.sequence) cannot be read: \(error)")
                    }
                    covered = checkpoint.sequence
                }
            }
            return try replay(directory, onto: table, covered: covered, skipped: skipped)
        } catch .inconsistent(let reason) where !skipped.isEmpty {
            // Records missing after damaged checkpoints were passed over: the damage is the cause.
            throw .inconsistent(
                reason + "; passed over damaged checkpoints: " + skipped.map(\.description).joined(separator: "; "))
        }
    }

    private static func replay(
        _ directory: JournalDirectory, onto start: TaskTable, covered: UInt64, skipped: [JournalDirectory.Problem]
    ) throws(JournalError) -> Result {
        var table = start
        table.beginBulkLoad()  // again when no checkpoint started it
        let recovery = try directory.recover(checkpointCovering: covered)
        var replayed = 0
        // Most records carry a task of their own: room for them up front saves rehashing.
        table.reserveCapacity(Int(min(recovery.lastSequence - covered, 4_000_000)))
        var unparsed = UnparsedCallbacks()
        let oldest = (try directory.segments().first?.firstSequence ?? 1) - 1
        try directory.replay(after: min(oldest, covered)) { (record: RecordView) throws(JournalError) in
            if record.kind == .unparsed {
                unparsed.add(try UnparsedCallback(record))
            } else if record.kind == .delivery, let marker = try rereadMarker(record) {
                unparsed.markRead(marker)
            }
            guard record.sequence > covered else { return }
            try apply(record, to: &table)
            replayed += 1
        }
        table.endBulkLoad()
        return Result(
            table: table, recovery: recovery, checkpoint: covered, skippedCheckpoints: skipped, replayed: replayed,
            unparsed: unparsed.waiting)
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
        var reader = ByteReader(record.body)
        let decoded: (deliveryID: String?, events: [TaskEvent], rereads: Delivery.Reread?)
        do {
            decoded = try Delivery.events(reading: &reader)
        } catch {
            throw .inconsistent("record \(record.sequence) is not a readable delivery: \(error)")
        }
        let sequence = decoded.rereads?.sequence ?? record.sequence
        let time = decoded.rereads?.time ?? record.time
        let source: TrackedTask.Report.Source = record.kind == .observation ? .observation : .callback
        return decoded.events.map { event in
            (
                event,
                table.apply(event, deliveryID: decoded.deliveryID, source: source, sequence: sequence, time: time)
            )
        }
    }

    private static func rereadMarker(_ record: RecordView) throws(JournalError) -> Delivery.Reread? {
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
