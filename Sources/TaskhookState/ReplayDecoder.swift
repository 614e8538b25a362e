import TaskhookCore
import TaskhookJournal
import TaskhookPosix

/// Replay on two threads. A thread of its own walks the segments (frames and checksums) and
/// packs each delivery's event as the task it starts when new, which is most of the work; the
/// caller applies what it decoded to the table, in journal order, meanwhile. Decoded records go
/// in batches through a short queue, so neither side gets far ahead of the other.
final class ReplayDecoder: @unchecked Sendable {
    // @unchecked: `queue`, `end` and `stopped` are touched only under `lock`; `unparsed` only by
    // the decoding thread, and read by the caller once that thread is joined.

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
    private var stopped = false
    private var thread: OSThread?
    private(set) var unparsed = UnparsedCallbacks()

    /// Starts walking `directory` from the record after `after`, decoding the records after
    /// `covered` (the earlier ones are read only for unparsed callbacks and re-read markers).
    init(_ directory: JournalDirectory, after: UInt64, covered: UInt64) throws(JournalError) {
        let thread = OSThread { [self] in self.walk(directory, after: after, covered: covered) }
        do { try thread.start() } catch { throw .io(error) }
        self.thread = thread
    }

    /// The next batch in journal order; nil after the last. Throws where the walk stopped.
    func next() throws(JournalError) -> [Item]? {
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

    /// Stops the walk (if it still runs) and waits for its thread; `unparsed` is then complete.
    func finish() {
        lock.withLock {
            stopped = true
            lock.signal()
        }
        thread?.join()
        thread = nil
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
