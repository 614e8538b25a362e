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
    private var pending: [UInt64: Pending] = [:]
    private var inFlight: [String: UInt64] = [:]
    /// The `forget` record being written: its ticket and cutoff.
    private var forgetting: (ticket: UInt64, cutoff: Int64)?
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
            case .appended(let ticket, let sequence) where ticket == forgetting?.ticket:
                forget(durableAt: sequence)
            case .failed(let ticket, let error) where ticket == forgetting?.ticket:
                forgetting = nil  // tried again within the hour, or at the next checkpoint
                logger.warning("forgetting expired tasks failed", metadata: ["reason": "\(error)"])
            case .appended(let ticket, let sequence):
                guard let done = finish(ticket) else { continue }
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
                for answer in done.completions { answer(.recorded(sequence: sequence)) }
                sinceCheckpoint += 1
                if sinceCheckpoint >= max(checkpointEvery, store.table.count) { checkpoint() }
            case .failed(let ticket, let error):
                guard let done = finish(ticket) else { continue }
                for answer in done.completions { answer(.failed(error)) }
            case .checkpointed(let covering, let record, let removed):
                store.advance(to: record)
                logger.info(
                    "checkpoint written",
                    metadata: ["journal_seq": "\(covering)", "removed_segments": "\(removed.count)"])
            case .committed(let records, let syncNanoseconds):
                metrics?.committed(records: records, syncNanoseconds: syncNanoseconds)
            case .checkpointFailed(let error):
                logger.error("checkpoint failed", metadata: ["reason": "\(error)"])
            }
        }
    }

    /// Forgets expired tasks now and then hourly: checkpoints do it too, but a daemon may be
    /// too quiet to reach one for days. The record is handed to the writer with the loop's
    /// other records at the end of the iteration.
    func startForgetting(on loop: EventLoop) {
        loop.addRepeatingTimer(every: .seconds(3600), first: loop.now) { [unowned self] in self.forgetExpiredTasks() }
    }

    /// Journals a `forget` record for the tasks not heard of within the task retention; they
    /// are forgotten once it is durable, at its place in the journal, as a replay of it does.
    /// So the table after a restart is the table before it.
    func forgetExpiredTasks(now: Int64 = FileSystem.wallClockMilliseconds()) {
        let (cutoff, overflow) = now.subtractingReportingOverflow(taskRetentionMilliseconds)
        guard !overflow, forgetting == nil, store.table.tasks.values.contains(where: { $0.lastHeard < cutoff })
        else { return }
        let ticket = writer.stage(kind: .forget, time: now, body: JournalReplay.forgetBody(lastHeardBefore: cutoff))
        forgetting = (ticket, cutoff)
    }

    private func forget(durableAt sequence: UInt64) {
        guard let (_, cutoff) = forgetting else { return }
        forgetting = nil
        store.advance(to: sequence)
        let forgotten = store.forgetTasks(lastHeardBefore: cutoff)
        if forgotten > 0 {
            logger.info(
                "forgot tasks not heard of within the task retention",
                metadata: ["count": "\(forgotten)", "remaining": "\(store.table.count)", "journal_seq": "\(sequence)"])
        }
    }

    private func finish(_ ticket: UInt64) -> Pending? {
        guard let done = pending.removeValue(forKey: ticket) else { return nil }
        for key in done.keys where inFlight[key] == ticket { inFlight[key] = nil }
        return done
    }

    /// Encodes the table here and hands the bytes to the writer. Encoding on the loop costs one
    /// pass over the table; handing the writer a copy of the table instead would cost the same
    /// pass on the loop (the next change copies the whole dictionary, retaining every string in
    /// it), then the encoding, then releasing the copy.
    func checkpoint() {
        sinceCheckpoint = 0
        forgetExpiredTasks()
        writer.checkpoint(covering: store.table.lastSequence, payload: store.table.encoded())
    }
}
