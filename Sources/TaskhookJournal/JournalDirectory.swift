import TaskhookPosix

/// The journal's directory: its segments and checkpoints, recovery at start-up, replay, and
/// the offline check.
public struct JournalDirectory: Sendable {
    public let path: String
    /// What the files are read and written through: the real file system, or in tests a
    /// simulated disk that fails and loses writes on demand.
    public let fileSystem: any DurableFileSystem

    public init(path: String, fileSystem: any DurableFileSystem = PosixFileSystem()) {
        self.path = path
        self.fileSystem = fileSystem
    }

    func file(_ name: String) -> String { path + "/" + name }

    /// Segment file names with their first sequence, in order.
    public func segments() throws(JournalError) -> [(name: String, firstSequence: UInt64)] {
        let names: [String]
        do { names = try fileSystem.list(path) } catch { throw .io(error) }
        return names.compactMap { name in Segment.firstSequence(fileName: name).map { (name, $0) } }
            .sorted { $0.firstSequence < $1.firstSequence }
    }

    // MARK: Recovery

    /// What recovery found and did.
    public struct Recovery: Sendable {
        public var segments: Int
        /// The highest sequence on disk (0 for an empty journal).
        public var lastSequence: UInt64
        /// The segment appends continue in, and its size after recovery.
        public var tail: (path: String, size: Int)?
        /// A torn tail that was cut off: the file, where, how many bytes, and why.
        public var truncated: (file: String, offset: Int, droppedBytes: Int, reason: String)?
    }

    /// Creates the directory if needed, removes checkpoint temporaries a crash left, and makes
    /// the last segment end on a record boundary: a torn or damaged tail with nothing valid
    /// after it is truncated (and reported); damage followed by valid records (in format 2: by
    /// a whole batch), or a gap between segments, refuses to open. So does a journal ending
    /// before `checkpointCovering`, and that is checked before anything is truncated.
    public func recover(checkpointCovering covered: UInt64 = 0) throws(JournalError) -> Recovery {
        do { try fileSystem.createDirectories(path) } catch { throw .io(error) }
        try removeCheckpointTemporaries()
        let list = try segments()
        guard let last = list.last else {
            guard covered == 0 else { throw Self.beyond(covered, lastSequence: 0) }
            return Recovery(segments: 0, lastSequence: 0, tail: nil, truncated: nil)
        }
        let lastPath = file(last.name)
        let contents: SegmentContents
        do {
            contents = try SegmentContents.load(lastPath, from: fileSystem)
        } catch .corrupt(_, 0, let reason) {
            // A segment whose header page never reached the disk holds no acknowledged record:
            // the crash came between creating it and its first sync. Remove it and recover again.
            let bytes: [UInt8]
            do { bytes = try fileSystem.contents(of: lastPath, mapped: false).copy } catch { throw .io(error) }
            guard Self.headerNeverCompleted(bytes) else { throw .corrupt(file: lastPath, offset: 0, reason: reason) }
            do {
                try fileSystem.remove(lastPath)
                try fileSystem.syncDirectory(path)
            } catch {
                throw .io(error)
            }
            var recovery = try recover(checkpointCovering: covered)
            recovery.truncated = (lastPath, 0, bytes.count, "removed a segment whose header was never completed")
            return recovery
        }
        guard contents.firstSequence == last.firstSequence else {
            throw .corrupt(
                file: lastPath, offset: 12,
                reason: "header says first sequence \(contents.firstSequence), name says \(last.firstSequence)")
        }
        let walk = try contents.walk()
        if list.count >= 2 {
            for (previous, next) in zip(list, list.dropFirst()) where next.firstSequence <= previous.firstSequence {
                throw .inconsistent("segments \(previous.name) and \(next.name) overlap")
            }
        }
        let lastSequence = walk.lastSequence ?? (last.firstSequence - 1)
        // Before the tail is cut: a refused start must leave the files as they were.
        guard covered <= lastSequence else { throw Self.beyond(covered, lastSequence: lastSequence) }
        var truncated: (String, Int, Int, String)?
        if case .damaged(let offset, let reason, let follows) = walk.end {
            if let follows {
                throw .corrupt(
                    file: lastPath, offset: offset, reason: "\(reason); an intact record follows at byte \(follows)")
            }
            do {
                let writer = try fileSystem.openForWriting(lastPath)
                defer { writer.close() }
                try writer.truncate(to: walk.validEnd)
                try writer.sync()
            } catch {
                throw .io(error)
            }
            truncated = (lastPath, offset, contents.count - walk.validEnd, reason)
        }
        // Appends never continue a format 1 segment: the next batch starts a new one.
        let tail = contents.formatVersion == Segment.formatVersion ? (lastPath, walk.validEnd) : nil
        return Recovery(segments: list.count, lastSequence: lastSequence, tail: tail, truncated: truncated)
    }

    static func beyond(_ covered: UInt64, lastSequence: UInt64) -> JournalError {
        .inconsistent(
            "the checkpoint covers up to \(covered) but the journal ends at \(lastSequence): records are missing")
    }

    /// Whether a segment that does not start with a valid header can be a power loss during
    /// its creation: too short for any record (the header page is synced before the first
    /// batch), and not a format 1 header with records after it.
    static func headerNeverCompleted(_ bytes: [UInt8]) -> Bool {
        if bytes.count < Segment.headerSize { return true }
        let formatOne = Segment.header(firstSequence: 0, formatVersion: 1)
        let looksLikeFormatOne = bytes[0..<12].elementsEqual(formatOne[0..<12])
        return bytes.count <= Segment.pageSize && !looksLikeFormatOne
    }

    /// A checkpoint's temporary file is left only by a crash while writing it: never complete.
    private func removeCheckpointTemporaries() throws(JournalError) {
        let leftovers = try Checkpoint.temporaries(self)
        guard !leftovers.isEmpty else { return }
        do {
            for name in leftovers { try fileSystem.remove(file(name)) }
            try fileSystem.syncDirectory(path)
        } catch {
            throw .io(error)
        }
    }

    // MARK: Replay

    /// Calls `visit` for every record with a sequence above `after`, in order, checking every
    /// checksum and that sequences follow on without a gap. Run after `recover()`. Each body is
    /// borrowed from the segment being read: copy what must outlive the visit.
    public func replay(after: UInt64, _ visit: (RecordView) throws(JournalError) -> Void) throws(JournalError) {
        let list = try segments()
        // Start in the last segment whose first sequence is not beyond `after + 1`.
        let startIndex = list.lastIndex { $0.firstSequence <= after + 1 } ?? 0
        if let first = list.first, first.firstSequence > after + 1 {
            throw .inconsistent(
                "records \(after + 1)…\(first.firstSequence - 1) are missing: the oldest segment starts at \(first.firstSequence)"
            )
        }
        var expected: UInt64?
        for (index, segment) in list.enumerated() where index >= startIndex {
            let contents = try SegmentContents.load(file(segment.name), from: fileSystem, mapped: true)
            if let expected, contents.firstSequence != expected {
                throw .inconsistent(
                    "\(segment.name) starts at \(contents.firstSequence) where \(expected) was expected")
            }
            let walk = try contents.walk { (record: RecordView) throws(JournalError) in
                if record.sequence > after { try visit(record) }
            }
            if case .damaged(let offset, let reason, _) = walk.end {
                throw .corrupt(file: contents.path, offset: offset, reason: reason)
            }
            expected = (walk.lastSequence ?? (contents.firstSequence - 1)) + 1
        }
    }

    // MARK: Offline check

    public struct Problem: Sendable, Equatable, CustomStringConvertible {
        public var file: String
        public var offset: Int
        public var reason: String
        public var description: String { "\(file) at byte \(offset): \(reason)" }
    }

    public struct Report: Sendable, Equatable {
        public var segments = 0
        public var records = 0
        public var bytes = 0
        public var firstSequence: UInt64?
        public var lastSequence: UInt64?
        public var recordsByKind: [String: Int] = [:]
        /// Damage that recovery would refuse.
        public var problems: [Problem] = []
        /// An incomplete last record: a write in progress, or a torn write recovery drops.
        public var tornTail: Problem?
        public var isClean: Bool { problems.isEmpty }
    }

    /// Reads every segment, read-only: safe while the daemon is running.
    public func verify(_ visit: ((RecordView) -> Void)? = nil) throws(JournalError) -> Report {
        var report = Report()
        let list = try segments()
        var expected: UInt64?
        for (index, segment) in list.enumerated() {
            let path = file(segment.name)
            report.segments += 1
            let contents: SegmentContents
            do {
                contents = try SegmentContents.load(path, from: fileSystem)
            } catch .corrupt(let file, let offset, let reason) {
                report.problems.append(Problem(file: file, offset: offset, reason: reason))
                expected = nil
                continue
            }
            report.bytes += contents.count
            if let expected, contents.firstSequence != expected {
                report.problems.append(
                    Problem(
                        file: path, offset: 12,
                        reason: "starts at sequence \(contents.firstSequence); \(expected) was expected"))
            }
            let walk = try contents.walk { (record: RecordView) throws(JournalError) in
                report.recordsByKind[record.kind.description, default: 0] += 1
                visit?(record)
            }
            report.records += walk.records
            if let last = walk.lastSequence {
                if report.firstSequence == nil { report.firstSequence = contents.firstSequence }
                report.lastSequence = last
            }
            expected = (walk.lastSequence ?? (contents.firstSequence - 1)) + 1
            if case .damaged(let offset, let reason, let follows) = walk.end {
                expected = nil  // the rest of this segment is unreadable; do not also report a gap
                let problem = Problem(
                    file: path, offset: offset,
                    reason: follows.map { "\(reason); an intact record follows at byte \($0)" } ?? reason)
                if follows == nil, index == list.count - 1 {
                    report.tornTail = problem
                } else {
                    report.problems.append(problem)
                }
            }
        }
        return report
    }
}
