import Logging
import TaskhookCore
import TaskhookJournal
import TaskhookPosix
import TaskhookState

/// Journals deliveries and hands each to the task store once it is durable. Runs on the event
/// loop; the writer thread reports back through its eventfd. It also decides when the store's
/// table is written as a checkpoint.
///
/// A delivery whose events were all applied before is a duplicate: it is answered at once and
/// not journaled again. One that matches a delivery still being written waits for that one.
final class DeliveryRecorder {
    enum Outcome: Equatable {
        case recorded(sequence: UInt64)
        case duplicate
        case failed(JournalError)
    }

    private struct Pending {
        var delivery: Delivery
        var time: Int64
        var keys: [String]
        var completions: [(Outcome) -> Void]
    }

    let store: TaskStore
    let writer: GroupCommitWriter
    private let logger: Logger
    private let checkpointEvery: Int
    private let retention: TaskRetention
    /// Records made durable since the last checkpoint was handed to the writer.
    private(set) var sinceCheckpoint = 0
    /// A checkpoint is being encoded and written; the next waits for its outcome.
    private(set) var checkpointInFlight = false
    private var pending: [UInt64: Pending] = [:]
    /// Records that are not callbacks, by ticket: what applies each once durable, and its answer.
    private var facts: [UInt64: (apply: (_ sequence: UInt64) -> Void, completion: (Outcome) -> Void)] = [:]
    private var inFlight: [String: UInt64] = [:]
    /// Where each delivery is encoded, reused (see `ByteWriter.takeBytes`).
    private var scratch = ByteWriter()
    let metrics: DaemonMetrics?
    /// Told of each callback made durable as unparsed (the re-reader keeps it).
    var onUnparsed: ((UnparsedCallback) -> Void)?

    init(
        writer: GroupCommitWriter, store: TaskStore, checkpointEvery: Int, taskRetentionSeconds: Int64,
        retentionSlice: Duration = TaskRetention.defaultSlice, metrics: DaemonMetrics? = nil, logger: Logger
    ) {
        self.writer = writer
        self.store = store
        self.metrics = metrics
        self.checkpointEvery = checkpointEvery
        self.retention = TaskRetention(
            writer: writer, store: store, retentionSeconds: taskRetentionSeconds, sliceTime: retentionSlice,
            logger: logger)
        self.logger = logger
    }

    var pendingCount: Int { pending.count }
    /// Deliveries made durable since start.
    private(set) var recordedCount = 0

    /// A re-read delivery (`rereads` set) is always journaled, even when its events were applied
    /// already (the provider's retry was read by a newer profile): its record is what marks the
    /// unparsed one as read.
    func record(_ delivery: Delivery, completion: @escaping (Outcome) -> Void) {
        let keys =
            delivery.rereads != nil ? [] : delivery.events.map { $0.dedupeKey(deliveryID: delivery.deliveryID) }
        if delivery.rereads == nil, store.isDuplicate(delivery.events, deliveryID: delivery.deliveryID) {
            completion(.duplicate)
            return
        }
        if let ticket = keys.lazy.compactMap({ self.inFlight[$0] }).first {
            pending[ticket]?.completions.append(completion)
            return
        }
        let time = FileSystem.wallClockMilliseconds()
        let kind: RecordKind = delivery.events.isEmpty ? .unparsed : .delivery
        delivery.encode(into: &scratch)
        let ticket = writer.stage(kind: kind, time: time, body: scratch.takeBytes())
        pending[ticket] = Pending(delivery: delivery, time: time, keys: keys, completions: [completion])
        for key in keys { inFlight[key] = ticket }
    }

    /// Journals a record that is not a callback (an expectation, a status read, a deadline);
    /// once it is durable, `apply` gets its sequence and time, then `completion` is answered.
    func record(
        _ kind: RecordKind, body: [UInt8], apply: @escaping (_ sequence: UInt64, _ time: Int64) -> Void,
        completion: @escaping (Outcome) -> Void
    ) {
        let time = FileSystem.wallClockMilliseconds()
        let ticket = writer.stage(kind: kind, time: time, body: body)
        facts[ticket] = (apply: { apply($0, time) }, completion: completion)
    }

    /// Writes everything queued, stops the writer thread and answers what it reported.
    func close() {
        writer.close()
        takeCompletions()
    }

    /// Hands this loop iteration's records to the writer thread in one go.
    func submit() { writer.submit() }

    /// The writer's eventfd is readable.
    func takeCompletions() {
        for completion in writer.takeCompletions() {
            switch completion {
            case .appended(let ticket, let sequence) where retention.owns(ticket):
                retention.durable(at: sequence)
            case .failed(let ticket, let error) where retention.owns(ticket):
                retention.failed(error)
            case .appended(let ticket, let sequence) where facts[ticket] != nil:
                let fact = facts.removeValue(forKey: ticket)!
                store.advance(to: sequence)
                fact.apply(sequence)
                fact.completion(.recorded(sequence: sequence))
                noteRecorded()
            case .failed(let ticket, let error) where facts[ticket] != nil:
                facts.removeValue(forKey: ticket)!.completion(.failed(error))
            case .appended(let ticket, let sequence):
                guard let done = finish(ticket) else { continue }
                // The provider's answer first: it is durable now, and waking thousands of
                // waiters for the task (an answer each) must not hold it back.
                for answer in done.completions { answer(.recorded(sequence: sequence)) }
                // A re-read record applies its events as the unparsed record it stands for.
                let appliesAs = done.delivery.rereads
                store.advance(to: sequence)
                retention.prepare(done.delivery.events)
                store.apply(
                    done.delivery.events, deliveryID: done.delivery.deliveryID,
                    sequence: appliesAs?.sequence ?? sequence, time: appliesAs?.time ?? done.time)
                if done.delivery.events.isEmpty {
                    onUnparsed?(UnparsedCallback(sequence: sequence, time: done.time, delivery: done.delivery))
                }
                recordedCount += 1
                noteRecorded()
            case .failed(let ticket, let error):
                guard let done = finish(ticket) else { continue }
                for answer in done.completions { answer(.failed(error)) }
            case .checkpointed(let covering, let record, let removed):
                checkpointInFlight = false
                store.advance(to: record)
                logger.info(
                    "checkpoint written",
                    metadata: ["journal_seq": "\(covering)", "removed_segments": "\(removed.count)"])
            case .committed(let records, let syncNanoseconds):
                metrics?.committed(records: records, syncNanoseconds: syncNanoseconds)
            case .checkpointFailed(let error):
                checkpointInFlight = false
                logger.error("checkpoint failed", metadata: ["reason": "\(error)"])
            }
        }
    }

    /// Counts a durable record towards the next checkpoint, and starts one when it is due.
    private func noteRecorded() {
        sinceCheckpoint += 1
        // Not while a retention sweep is under way: a checkpoint must not hold a table that its
        // forget record has half forgotten.
        if sinceCheckpoint >= checkpointEvery, !checkpointInFlight, !retention.isSweeping { checkpoint() }
    }

    /// Journals a forget record now and then hourly (see `TaskRetention`).
    func startForgetting(on loop: EventLoop) { retention.start(on: loop) }

    /// Journals a `forget` record for the tasks not heard of within the task retention; they
    /// are forgotten once it is durable (see `TaskRetention`).
    func forgetExpiredTasks(now: Int64 = FileSystem.wallClockMilliseconds()) { retention.forgetExpired(now: now) }

    private func finish(_ ticket: UInt64) -> Pending? {
        guard let done = pending.removeValue(forKey: ticket) else { return nil }
        // One lookup per key (a dedupe key is hashed whole): found, then removed at its index.
        for key in done.keys {
            if let index = inFlight.index(forKey: key), inFlight.values[index] == ticket { inFlight.remove(at: index) }
        }
        return done
    }

    /// Hands the writer a snapshot of the table, which its checkpoint thread encodes. The
    /// snapshot shares the sharded tasks and the update order: O(1) here, and each shard or
    /// block of the order the loop changes before the encoding ends is copied once, on its
    /// first change (1/4096 of the table, 512 tasks; the order's list of blocks, a reference
    /// per 512 tasks, on the first), so no step on the loop copies the table. The cadence
    /// follows the journal (`checkpoint-every` records), whatever the table's size.
    func checkpoint() {
        retention.finishSweep()
        sinceCheckpoint = 0
        checkpointInFlight = true
        let snapshot = store.table.snapshot
        writer.checkpoint(covering: snapshot.lastSequence) { (sink: inout Checkpoint.Sink) throws(SyscallError) in
            try snapshot.encode { (piece) throws(SyscallError) in try sink.append(piece) }
        }
    }
}
