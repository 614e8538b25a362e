import TaskhookPosix

/// The journal's directory: its segments and checkpoints, recovery at start-up, replay, and
/// the offline check.
public struct JournalDirectory: Sendable {
    public let path: String

    public init(path: String) { self.path = path }

    func file(_ name: String) -> String { path + "/" + name }

    /// Segment file names with their first sequence, in order.
    public func segments() throws(JournalError) -> [(name: String, firstSequence: UInt64)] {
        let names: [String]
        do { names = try FileSystem.list(path) } catch { throw .io(error) }
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

    /// Creates the directory if needed and makes the last segment end on a record boundary:
    /// a torn or damaged tail with nothing valid after it is truncated (and reported); damage
    /// followed by valid records, or a gap between segments, refuses to open.
    public func recover() throws(JournalError) -> Recovery {
        do { try FileSystem.createDirectories(path) } catch { throw .io(error) }
        let list = try segments()
        guard let last = list.last else { return Recovery(segments: 0, lastSequence: 0, tail: nil, truncated: nil) }
        let lastPath = file(last.name)
        let contents: SegmentContents
        do {
            contents = try SegmentContents.load(lastPath)
        } catch .corrupt(_, 0, let reason) {
            // A segment shorter than its header holds no acknowledged record: the crash came
            // between creating it and its first sync. Remove it and recover again.
            let size: Int
            do { size = try File.openForReading(lastPath).size() } catch { throw .io(error) }
            guard size < Segment.headerSize else { throw .corrupt(file: lastPath, offset: 0, reason: reason) }
            do {
                try FileSystem.remove(lastPath)
                try FileSystem.syncDirectory(path)
            } catch {
                throw .io(error)
            }
            var recovery = try recover()
            recovery.truncated = (lastPath, 0, size, "removed a segment whose header was never completed")
            return recovery
        }
        guard contents.firstSequence == last.firstSequence else {
            throw .corrupt(
                file: lastPath, offset: 12,
                reason: "header says first sequence \(contents.firstSequence), name says \(last.firstSequence)")
        }
        let walk = try contents.walk()
        var truncated: (String, Int, Int, String)?
        if case .damaged(let offset, let reason, let follows) = walk.end {
            if let follows {
                throw .corrupt(
                    file: lastPath, offset: offset, reason: "\(reason); an intact record follows at byte \(follows)")
            }
            do {
                let writer = try File.openForWriting(lastPath, create: false)
                defer { writer.close() }
                try writer.truncate(to: walk.validEnd)
                try writer.sync()
            } catch {
                throw .io(error)
            }
            truncated = (lastPath, offset, contents.count - walk.validEnd, reason)
        }
        if list.count >= 2 {
            for (previous, next) in zip(list, list.dropFirst()) where next.firstSequence <= previous.firstSequence {
                throw .inconsistent("segments \(previous.name) and \(next.name) overlap")
            }
        }
        let lastSequence = walk.lastSequence ?? (last.firstSequence - 1)
        return Recovery(
            segments: list.count, lastSequence: lastSequence, tail: (lastPath, walk.validEnd), truncated: truncated)
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
            let contents = try SegmentContents.load(file(segment.name), mapped: true)
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
                contents = try SegmentContents.load(path)
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
