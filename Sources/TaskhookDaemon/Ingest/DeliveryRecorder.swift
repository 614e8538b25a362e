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
    private let taskRetentionMilliseconds: Int64
    /// Records made durable since the last checkpoint was handed to the writer.
    private(set) var sinceCheckpoint = 0
    /// A checkpoint is being encoded and written; the next waits for its outcome.
    private(set) var checkpointInFlight = false
    /// The next shard a retention sweep looks at; nil when no sweep is under way.
    private var sweepShard: Int?
    private var sweepCutoff: Int64 = 0
    private var sweepForgotten = 0
    private weak var loop: EventLoop?
    /// Shards a sweep looks at per loop iteration: 16 of 1024 is about 16,000 tasks at a million,
    /// well under a millisecond.
    static let sweepShardsPerSlice = 16
    private var pending: [UInt64: Pending] = [:]
    private var inFlight: [String: UInt64] = [:]
    let metrics: DaemonMetrics?
    /// Told of each callback made durable as unparsed (the re-reader keeps it).
    var onUnparsed: ((UnparsedCallback) -> Void)?

    init(
        writer: GroupCommitWriter, store: TaskStore, checkpointEvery: Int, taskRetentionSeconds: Int64,
        metrics: DaemonMetrics? = nil, logger: Logger
    ) {
        self.writer = writer
        self.store = store
        self.metrics = metrics
        self.checkpointEvery = checkpointEvery
        self.taskRetentionMilliseconds =
            taskRetentionSeconds.multipliedReportingOverflow(by: 1000).overflow
            ? .max : taskRetentionSeconds * 1000
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
        let ticket = writer.stage(kind: kind, time: time, body: delivery.encoded())
        pending[ticket] = Pending(delivery: delivery, time: time, keys: keys, completions: [completion])
        for key in keys { inFlight[key] = ticket }
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
            case .appended(let ticket, let sequence):
                guard let done = finish(ticket) else { continue }
                // The provider's answer first: it is durable now, and waking thousands of
                // waiters for the task (an answer each) must not hold it back.
                for answer in done.completions { answer(.recorded(sequence: sequence)) }
                // A re-read record applies its events as the unparsed record it stands for.
                let appliesAs = done.delivery.rereads
                store.advance(to: sequence)
                store.apply(
                    done.delivery.events, deliveryID: done.delivery.deliveryID,
                    sequence: appliesAs?.sequence ?? sequence, time: appliesAs?.time ?? done.time)
                if done.delivery.events.isEmpty {
                    onUnparsed?(UnparsedCallback(sequence: sequence, time: done.time, delivery: done.delivery))
                }
                recordedCount += 1
                sinceCheckpoint += 1
                if sinceCheckpoint >= checkpointEvery, !checkpointInFlight { checkpoint() }
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

    /// Sweeps expired tasks now and then hourly, and after each checkpoint is handed over:
    /// checkpoints are frequent under load, but a daemon may be too quiet to reach one for days.
    func startForgetting(on loop: EventLoop) {
        self.loop = loop
        loop.addRepeatingTimer(every: .seconds(3600), first: loop.now) { [unowned self] in self.startSweep() }
    }

    /// Starts a sweep forgetting the tasks not heard of within the task retention, unless one
    /// is under way. It goes `sweepShardsPerSlice` shards per loop iteration, so a table of a
    /// million tasks never holds the loop for one pass; a checkpoint written meanwhile may
    /// still hold some expired tasks; the sweep that begins at every start forgets them again.
    func startSweep(now: Int64 = FileSystem.wallClockMilliseconds()) {
        guard sweepShard == nil else { return }
        let (cutoff, overflow) = now.subtractingReportingOverflow(taskRetentionMilliseconds)
        guard !overflow else { return }
        sweepCutoff = cutoff
        sweepShard = 0
        sweepForgotten = 0
        guard let loop else {
            while sweepShard != nil { sweepSlice() }  // no loop (tests): the whole sweep now
            return
        }
        nextSweepSlice(on: loop)
    }

    /// Just after `now`, so the slice runs in the loop's next round of timers, not in the
    /// round that is firing now (which would run the whole sweep at once).
    private func nextSweepSlice(on loop: EventLoop) {
        loop.schedule(at: loop.now + .microseconds(1)) { [unowned self] in
            self.sweepSlice()
            if self.sweepShard != nil, let loop = self.loop { self.nextSweepSlice(on: loop) }
        }
    }

    private func sweepSlice() {
        guard let first = sweepShard else { return }
        let end = min(first + Self.sweepShardsPerSlice, TaskTable.shardCount)
        for shard in first..<end {
            sweepForgotten += store.forgetTasks(lastHeardBefore: sweepCutoff, inShard: shard)
        }
        guard end == TaskTable.shardCount else {
            sweepShard = end
            return
        }
        sweepShard = nil
        if sweepForgotten > 0 {
            logger.info(
                "forgot tasks not heard of within the task retention",
                metadata: ["count": "\(sweepForgotten)", "remaining": "\(store.table.count)"])
        }
    }

    private func finish(_ ticket: UInt64) -> Pending? {
        guard let done = pending.removeValue(forKey: ticket) else { return nil }
        for key in done.keys where inFlight[key] == ticket { inFlight[key] = nil }
        return done
    }

    /// Hands the writer a snapshot of the table, which its checkpoint thread encodes. The
    /// snapshot is a copy of the sharded table's value: O(shards) here, and each shard the loop
    /// changes before the encoding ends is copied once, on its first change (a thousandth of
    /// the table), so no step on the loop is proportional to the table. The cadence follows
    /// the journal (`checkpoint-every` records), whatever the table's size.
    func checkpoint() {
        sinceCheckpoint = 0
        checkpointInFlight = true
        let snapshot = store.table
        writer.checkpoint(covering: snapshot.lastSequence) { snapshot.encoded() }
        startSweep()
    }
}
