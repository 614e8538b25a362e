import TaskhookCore
import TaskhookJournal
import TaskhookPosix

/// Replay on two threads. The caller's thread walks the segments (frames and checksums) and
/// packs each delivery's event as the task it starts when new, which is most of the work and
/// nearly every allocation; a thread of its own applies what was decoded to the table, in
/// journal order, meanwhile. Decoded records go in batches through a short queue, so neither
/// side gets far ahead of the other.
///
/// The packing stays on the caller's thread for glibc's sake: a thread of its own allocates
/// from an arena of its own, which grows a page at a time, one `mprotect` each (about 56,000
/// for a million tasks, 5% of a start); the main arena grows by `brk` with room to spare.
final class ReplayDecoder: @unchecked Sendable {
    // @unchecked: `queue`, `end`, `stopped` and `applyError` are touched only under `lock`;
    // `unparsed` only by the walking (caller's) thread.

    /// One record past the checkpoint, decoded as far as can be without the table.
    enum Item {
        /// A delivery or observation whose one event is packed as the task it starts if its key
        /// is new (`PackedTask(newTaskIn:)`): nearly every record.
        case newTask(PackedTask, sequence: UInt64)
        /// Any other record, copied out of the segment, to be applied the general way.
        case other(JournalRecord)
    }

    private static let batchSize = 512
    private static let queuedBatches = 8

    private let lock = ConditionLock()
    private var queue: [[Item]] = []
    /// Set once the walk ended: nil when it reached the end, else why it stopped.
    private var end: JournalError??
    /// Set once the applying thread stopped early: the walk stops too.
    private var stopped = false
    private var applyError: JournalError?
    private(set) var unparsed = UnparsedCallbacks()

    init() {}

    /// Walks `directory` from the record after `after`, decoding the records after `covered`
    /// (the earlier ones are read only for unparsed callbacks and re-read markers), while
    /// `apply` takes each batch, in journal order, on a thread of its own. Returns once both
    /// ended, `unparsed` complete; throws the first failure of either.
    func run(
        _ directory: JournalDirectory, after: UInt64, covered: UInt64,
        apply: @escaping @Sendable ([Item]) throws(JournalError) -> Void
    ) throws(JournalError) {
        let applier = OSThread { [self] in
            do throws(JournalError) {
                while let batch = try next() { try apply(batch) }
            } catch {
                lock.withLock {
                    applyError = error
                    stopped = true
                    lock.signal()
                }
            }
        }
        do { try applier.start() } catch { throw .io(error) }
        walk(directory, after: after, covered: covered)
        applier.join()
        let failure = lock.withLock { applyError ?? end ?? nil }
        if let failure { throw failure }
    }

    /// The next batch in journal order; nil after the last. Throws where the walk stopped.
    private func next() throws(JournalError) -> [Item]? {
        let taken: Result<[Item]?, JournalError> = lock.withLock {
            while queue.isEmpty && end == nil { lock.wait() }
            if !queue.isEmpty {
                lock.signal()
                return .success(queue.removeFirst())
            }
            if case .some(.some(let error)) = end { return .failure(error) }
            return .success(nil)
        }
        return try taken.get()
    }

    private func walk(_ directory: JournalDirectory, after: UInt64, covered: UInt64) {
        var batch: [Item] = []
        batch.reserveCapacity(Self.batchSize)
        var outcome: JournalError?
        do throws(JournalError) {
            try directory.replay(after: after) { (record: RecordView) throws(JournalError) in
                if record.kind == .unparsed {
                    unparsed.add(try UnparsedCallback(record))
                } else if record.kind == .delivery, let marker = try JournalReplay.rereadMarker(record) {
                    unparsed.markRead(marker)
                }
                guard record.sequence > covered else { return }
                if let task = PackedTask(newTaskIn: record) {
                    batch.append(.newTask(task, sequence: record.sequence))
                } else {
                    batch.append(.other(record.record))
                }
                if batch.count == Self.batchSize {
                    guard put(batch) else { throw .inconsistent("replay stopped") }
                    batch.removeAll(keepingCapacity: true)
                }
            }
            if !batch.isEmpty { _ = put(batch) }
        } catch {
            outcome = error
        }
        lock.withLock {
            end = .some(outcome)
            lock.signal()
        }
    }

    /// Queues a batch, waiting while the queue is full; false once the caller stopped reading.
    private func put(_ batch: [Item]) -> Bool {
        lock.withLock {
            while queue.count >= Self.queuedBatches && !stopped { lock.wait() }
            guard !stopped else { return false }
            queue.append(batch)
            lock.signal()
            return true
        }
    }
}
