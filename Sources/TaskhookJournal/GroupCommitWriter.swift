import TaskhookPosix

public struct JournalOptions: Sendable, Equatable {
    public enum Sync: String, Sendable, Equatable {
        /// fdatasync after every batch: an acknowledged record survives power loss.
        case always
        /// No sync: survives a crash of the daemon, not of the machine (development only).
        case none
    }

    public var sync = Sync.always
    /// A new segment is started once the current one reaches this size.
    public var segmentSize = 64 * 1024 * 1024
    /// Segments older than this are deleted once a checkpoint covers them (seconds).
    public var retentionSeconds: Int64 = 30 * 24 * 3600
    /// At most this many bytes of records are written in one batch.
    public var maxBatchBytes = 4 * 1024 * 1024

    public init() {}
}

/// The journal's writer thread. The event loop hands it records (`append` never blocks on
/// disk); the thread writes everything queued as one batch with one write and one fdatasync
/// (group commit), then reports back through an eventfd which records are durable and with
/// which sequence numbers. A batch that cannot be made durable is cut off the file again, so
/// no half-written record stays behind, and each of its records is reported failed.
public final class GroupCommitWriter: @unchecked Sendable {
    // @unchecked: `queue`, `outbox` and `stopping` are touched only with `lock` held; `staged`
    // and `nextTicket` only by the one thread that appends (the loop); the file state only by
    // the writer thread.

    /// The outcome of one `append`, or of a checkpoint.
    public enum Completion: Sendable, Equatable {
        case appended(ticket: UInt64, sequence: UInt64)
        case failed(ticket: UInt64, JournalError)
        case checkpointed(covering: UInt64, record: UInt64, removedSegments: [String])
        /// One batch written: how many records, how long its fdatasync took.
        case committed(records: Int, syncNanoseconds: UInt64)
        case checkpointFailed(JournalError)
    }

    private enum Work {
        case record(ticket: UInt64, time: Int64, kind: RecordKind, body: [UInt8])
        /// The checkpoint thread wrote the checkpoint file: the writer appends its record and
        /// applies retention, in order with the records around it.
        /// `previous`: what the checkpoint before it covers (retention keeps what it needs).
        case checkpointWritten(covering: UInt64, previous: UInt64)
        case checkpointNotWritten(JournalError)
    }

    public let directory: JournalDirectory
    public let options: JournalOptions
    /// Signalled whenever completions are waiting to be taken.
    public let completionsReady: EventFD

    private let lock = ConditionLock()
    private var queue: [Work] = []
    /// Loop side only: records staged since the last `submit()`.
    private var staged: [Work] = []
    private var outbox: [Completion] = []
    private var stopping = false
    private var nextTicket: UInt64 = 0
    private var thread: OSThread?
    /// Loop side only: the thread encoding and writing the latest checkpoint.
    private var checkpointThread: OSThread?

    // Writer thread only.
    private var nextSequence: UInt64
    private var tail: (any DurableFile)?
    private var tailSize = 0
    /// The tail's bytes before this offset are synced and their pages handed back to the kernel.
    private var tailReleased = 0
    /// A failed batch could not be cut off; it must be before anything else is written.
    private var tailNeedsTruncation = false

    /// Starts the writer after `directory.recover()`.
    public init(directory: JournalDirectory, recovery: JournalDirectory.Recovery, options: JournalOptions)
        throws(JournalError)
    {
        self.directory = directory
        self.options = options
        nextSequence = recovery.lastSequence + 1
        do {
            completionsReady = try EventFD()
            if let (path, size) = recovery.tail {
                tail = try directory.fileSystem.openForWriting(path)
                tailSize = size
            }
        } catch {
            throw .io(error)
        }
        let thread = OSThread { [self] in run() }
        do { try thread.start() } catch { throw .io(error) }
        self.thread = thread
    }

    // MARK: Loop side

    /// Queues a record and wakes the writer; its completion carries the returned ticket.
    public func append(kind: RecordKind, time: Int64, body: [UInt8]) -> UInt64 {
        let ticket = stage(kind: kind, time: time, body: body)
        submit()
        return ticket
    }

    /// Queues a record without waking the writer: call `submit()` once the caller is done for
    /// now (the event loop does at the end of each iteration), so a burst of callbacks costs
    /// one wake-up, not one each. Call from one thread only (the loop's).
    public func stage(kind: RecordKind, time: Int64, body: [UInt8]) -> UInt64 {
        nextTicket += 1
        staged.append(.record(ticket: nextTicket, time: time, kind: kind, body: body))
        return nextTicket
    }

    /// Hands everything staged to the writer thread at once.
    public func submit() {
        guard !staged.isEmpty else { return }
        lock.withLock {
            if queue.isEmpty {
                swap(&queue, &staged)
            } else {
                queue.append(contentsOf: staged)
                staged.removeAll(keepingCapacity: true)
            }
            lock.signal()
        }
    }

    /// Queues a checkpoint: `payload`, the encoded state covering every record up to `sequence`.
    public func checkpoint(covering sequence: UInt64, payload: [UInt8]) {
        checkpoint(covering: sequence) { (sink: inout Checkpoint.Sink) throws(SyscallError) in
            try sink.append(payload[...])
        }
    }

    /// Writes a checkpoint of the state covering every record up to `sequence` (all of them
    /// durable already): `encode` runs on a thread of its own, at a lower priority, appending
    /// the encoded state to the file a piece at a time as it goes (`Checkpoint.Sink`), then
    /// the writer appends the checkpoint record and applies retention. Neither the loop nor
    /// the group commits wait for a large table to be encoded, written and synced. `encode`
    /// must read only an immutable snapshot (a copy-on-write value). One at a time: a second
    /// call waits for the first thread to end; call it after the first one's completion.
    public func checkpoint(
        covering sequence: UInt64, encode: @escaping @Sendable (inout Checkpoint.Sink) throws(SyscallError) -> Void
    ) {
        submit()  // records staged before it are written before its record
        checkpointThread?.join()
        let encoding = EncodeOnce(encode)
        let thread = OSThread { [self] in
            OSThread.lowerPriority()
            let outcome: Work
            do throws(JournalError) {
                let written = try Checkpoint.write(covering: sequence, in: directory) {
                    (sink: inout Checkpoint.Sink) throws(SyscallError) in try encoding.run(&sink)
                }
                outcome = .checkpointWritten(covering: sequence, previous: written.previous)
            } catch {
                outcome = .checkpointNotWritten(error)
            }
            lock.withLock {
                queue.append(outcome)
                lock.signal()
            }
        }
        do {
            try thread.start()
            checkpointThread = thread
        } catch {
            lock.withLock {
                queue.append(.checkpointNotWritten(.io(error)))
                lock.signal()
            }
        }
    }

    /// Everything completed since the last call, in order.
    public func takeCompletions() -> [Completion] {
        completionsReady.drain()
        return lock.withLock {
            defer { outbox.removeAll() }
            return outbox
        }
    }

    /// Writes what is queued, stops the thread and closes the segment.
    public func close() {
        checkpointThread?.join()  // its outcome is queued before the writer stops
        checkpointThread = nil
        submit()
        lock.withLock {
            stopping = true
            lock.signal()
        }
        thread?.join()
        thread = nil
        tail?.close()
    }

    // MARK: Writer thread

    private func run() {
        var batch: [Work] = []
        while true {
            lock.withLock {
                while queue.isEmpty && !stopping { lock.wait() }
                swap(&batch, &queue)
            }
            if batch.isEmpty { return }  // stopping, and nothing left
            let completions = process(batch)
            lock.withLock { outbox.append(contentsOf: completions) }
            completionsReady.signal()
            // Emptied with its room kept (after the answers are on their way): the next swap
            // hands it to `submit`, whose swap makes it the loop's staging array, so the two
            // threads pass the same buffers back and forth. A new array per batch was over
            // 1 KiB for a few dozen records, and glibc merges its fast bins before serving such
            // a request, which the loop paid for.
            batch.removeAll(keepingCapacity: true)
        }
    }

    private func process(_ batch: [Work]) -> [Completion] {
        var completions: [Completion] = []
        var records: [(ticket: UInt64, time: Int64, kind: RecordKind, body: [UInt8])] = []
        var bytes = 0
        func flush() {
            guard !records.isEmpty else { return }
            completions += write(records)
            records.removeAll()
            bytes = 0
        }
        for work in batch {
            switch work {
            case .record(let ticket, let time, let kind, let body):
                records.append((ticket, time, kind, body))
                bytes += RecordFrame.encodedSize(bodyCount: body.count)
                if bytes >= options.maxBatchBytes { flush() }
            case .checkpointWritten(let covering, let previous):
                flush()
                completions.append(recordCheckpoint(covering: covering, previous: previous))
            case .checkpointNotWritten(let error):
                completions.append(.checkpointFailed(error))
            }
        }
        flush()
        return completions
    }

    private func write(_ records: [(ticket: UInt64, time: Int64, kind: RecordKind, body: [UInt8])]) -> [Completion] {
        do throws(JournalError) {
            let (first, syncNanoseconds) = try appendFrames(
                records.map { (time: $0.time, kind: $0.kind, body: $0.body) })
            return records.enumerated().map { .appended(ticket: $1.ticket, sequence: first + UInt64($0)) } + [
                .committed(records: records.count, syncNanoseconds: syncNanoseconds)
            ]
        } catch {
            return records.map { .failed(ticket: $0.ticket, error) }
        }
    }

    /// Writes frames for `records` with the next sequences; returns the first, and how long the
    /// fdatasync took. All or nothing.
    private func appendFrames(_ records: [(time: Int64, kind: RecordKind, body: [UInt8])]) throws(JournalError)
        -> (first: UInt64, syncNanoseconds: UInt64)
    {
        if tailNeedsTruncation, let tail {
            do {
                try tail.truncate(to: tailSize)
                tailNeedsTruncation = false
            } catch {
                throw .io(error)
            }
        }
        if tail == nil || tailSize >= options.segmentSize { try startSegment() }
        guard let tail else { throw .closed }
        let first = nextSequence
        let batchStart = tailSize
        var frames: [UInt8] = []
        frames.reserveCapacity(
            records.reduce(Segment.pageSize) { $0 + RecordFrame.encodedSize(bodyCount: $1.body.count) })
        for (index, record) in records.enumerated() {
            RecordFrame.encode(
                JournalRecord(sequence: first + UInt64(index), time: record.time, kind: record.kind, body: record.body),
                into: &frames)
        }
        // The marker ends the batch on a page boundary: the next batch writes only pages of its
        // own, so a torn write of it cannot reach acknowledged bytes.
        RecordFrame.encodeBatchEnd(
            lastSequence: first + UInt64(records.count) - 1, batchStart: batchStart, fileOffset: batchStart,
            into: &frames)
        let syncNanoseconds: UInt64
        do {
            try tail.write(frames, at: tailSize)
            let syncStarted = Instant.now()
            if options.sync == .always { try tail.syncData() }
            syncNanoseconds = (Instant.now() - syncStarted).nanoseconds
        } catch {
            // Nothing of this batch may stay: a later batch would otherwise follow garbage.
            do {
                try tail.truncate(to: tailSize)
            } catch {
                tailNeedsTruncation = true
            }
            throw .io(error)
        }
        tailSize += frames.count
        nextSequence += UInt64(records.count)
        releaseSyncedPages()
        return (first, syncNanoseconds)
    }

    /// Synced records are read again only by a replay after a restart, so their page-cache
    /// pages go back to the kernel rather than pushing other files' pages out; at ingest rates
    /// the journal would otherwise fill the page cache with pages nobody reads. Batches end on
    /// page boundaries, so every synced page is whole.
    private func releaseSyncedPages() {
        guard options.sync == .always, let tail else { return }
        let end = tailSize
        guard end - tailReleased >= Self.releaseChunk else { return }
        tail.dropCachedPages(offset: tailReleased, count: end - tailReleased)
        tailReleased = end
    }

    /// Pages are handed back in runs of at least this many bytes: one call per 256 KiB.
    private static let releaseChunk = 256 * 1024

    private func startSegment() throws(JournalError) {
        let path = directory.file(Segment.fileName(firstSequence: nextSequence))
        let fileSystem = directory.fileSystem
        let file: any DurableFile
        do {
            if fileSystem.exists(path) { try fileSystem.remove(path) }  // an empty leftover of a failed start
            file = try fileSystem.create(path)
        } catch {
            throw .io(error)
        }
        do {
            // The header page is synced before any batch: a segment holding acknowledged records
            // always starts with an intact header.
            try file.write(Segment.header(firstSequence: nextSequence), at: 0)
            try file.sync()
            try fileSystem.syncDirectory(directory.path)
        } catch {
            file.close()
            try? fileSystem.remove(path)
            throw .io(error)
        }
        tail?.close()
        tail = file
        tailSize = Segment.firstFrameOffset(formatVersion: Segment.formatVersion)
        tailReleased = 0
        tailNeedsTruncation = false
    }

    private func recordCheckpoint(covering sequence: UInt64, previous: UInt64) -> Completion {
        do throws(JournalError) {
            var body: [UInt8] = []
            withUnsafeBytes(of: sequence.littleEndian) { body.append(contentsOf: $0) }
            let record = try appendFrames([(FileSystem.wallClockMilliseconds(), .checkpoint, body)]).first
            return .checkpointed(
                covering: sequence, record: record, removedSegments: try applyRetention(checkpoint: previous))
        } catch {
            return .checkpointFailed(error)
        }
    }

    /// Deletes what retention allows, counting as covered only what the previous checkpoint
    /// covers: the newest may be damaged later, and the previous one needs its segments.
    private func applyRetention(checkpoint: UInt64) throws(JournalError) -> [String] {
        var infos: [Retention.SegmentInfo] = []
        for segment in try directory.segments() {
            let modified: Int64
            do { modified = try directory.fileSystem.modificationTime(directory.file(segment.name)) } catch {
                throw .io(error)
            }
            infos.append(
                Retention.SegmentInfo(name: segment.name, firstSequence: segment.firstSequence, modified: modified))
        }
        let now = FileSystem.wallClockMilliseconds() / 1000
        let names = Retention.removable(infos, checkpoint: checkpoint, now: now, age: options.retentionSeconds)
        do {
            for name in names { try directory.fileSystem.remove(directory.file(name)) }
            if !names.isEmpty { try directory.fileSystem.syncDirectory(directory.path) }
        } catch {
            throw .io(error)
        }
        return names
    }
}

/// A checkpoint's `encode`, run once on the checkpoint thread and dropped there: the snapshot it
/// holds is released on that thread. Held by the thread object instead, it was released on the
/// loop when the next checkpoint replaced that object, and releasing a million-task snapshot
/// touches every task (a 236 ms loop iteration, measured with bench/table.sh).
private final class EncodeOnce: @unchecked Sendable {
    typealias Encode = @Sendable (inout Checkpoint.Sink) throws(SyscallError) -> Void
    // @unchecked: set before the checkpoint thread starts, then read and cleared by it alone.
    private var encode: Encode?

    init(_ encode: @escaping Encode) { self.encode = encode }

    func run(_ sink: inout Checkpoint.Sink) throws(SyscallError) {
        guard let encode else { preconditionFailure("a checkpoint encoded twice") }
        self.encode = nil
        try encode(&sink)
    }
}
