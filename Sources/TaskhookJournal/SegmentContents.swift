import TaskhookPosix

/// One segment file in memory, read or mapped, and a walk over its frames.
struct SegmentContents {
    enum Storage {
        /// A copy: safe while another process may truncate the file (the offline check).
        case copied([UInt8])
        /// A read-only mapping: no copy, for the daemon's own replay.
        case mapped(MappedFile)
    }

    let path: String
    let storage: Storage
    let firstSequence: UInt64

    var count: Int {
        switch storage {
        case .copied(let bytes): bytes.count
        case .mapped(let file): file.count
        }
    }

    func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws(JournalError) -> R) throws(JournalError) -> R {
        switch storage {
        case .copied(let bytes):
            let result = bytes.withUnsafeBytes { raw in Result { () throws(JournalError) -> R in try body(raw) } }
            return try result.get()
        case .mapped(let file):
            return try body(file.bytes)
        }
    }

    /// How a walk ended.
    enum End: Equatable {
        /// Every byte after the header is a valid record.
        case clean
        /// A frame at `offset` is short or damaged. `validRecordFollows` says whether an intact
        /// later record exists (so this is not a torn tail but damage in the middle).
        case damaged(offset: Int, reason: String, validRecordFollows: Int?)
    }

    struct Walk: Equatable {
        var end: End
        /// Offset just after the last valid record.
        var validEnd: Int
        var records: Int
        var lastSequence: UInt64?
    }

    /// Reads (or maps) the file. A missing or damaged header is reported as damage at offset 0.
    static func load(_ path: String, mapped: Bool = false) throws(JournalError) -> SegmentContents {
        let storage: Storage
        do {
            if mapped {
                storage = .mapped(try MappedFile(path: path))
            } else {
                let file = try File.openForReading(path)
                defer { file.close() }
                storage = .copied(try file.read(count: try file.size(), at: 0))
            }
        } catch {
            throw .io(error)
        }
        let contents = SegmentContents(path: path, storage: storage, firstSequence: 0)
        let header = try contents.withBytes { raw throws(JournalError) in Segment.parseHeader(raw) }
        switch header {
        case .success(let first):
            return SegmentContents(path: path, storage: storage, firstSequence: first)
        case .failure(.short):
            throw .corrupt(file: path, offset: 0, reason: "segment header is incomplete (\(contents.count) bytes)")
        case .failure(.invalid(let reason)):
            throw .corrupt(file: path, offset: 0, reason: reason)
        }
    }

    /// Walks the frames in order, calling `visit` for each valid record (its body borrowed),
    /// and stops at the first frame that is not valid.
    func walk(_ visit: (RecordView) throws(JournalError) -> Void = { _ in }) throws(JournalError) -> Walk {
        try withBytes { raw throws(JournalError) in try walk(raw, visit) }
    }

    private func walk(
        _ raw: UnsafeRawBufferPointer, _ visit: (RecordView) throws(JournalError) -> Void
    ) throws(JournalError) -> Walk {
        var offset = Segment.headerSize
        var expected = firstSequence
        var walk = Walk(end: .clean, validEnd: offset, records: 0, lastSequence: nil)
        while offset < raw.count {
            let problem: String
            switch RecordFrame.decode(raw, at: offset) {
            case .record(let record, let size):
                guard record.sequence == expected else {
                    walk.end = .damaged(
                        offset: offset, reason: "sequence \(record.sequence) where \(expected) was expected",
                        validRecordFollows: offset)
                    return walk
                }
                try visit(record)
                offset += size
                expected += 1
                walk.records += 1
                walk.lastSequence = record.sequence
                walk.validEnd = offset
                continue
            case .incomplete:
                problem = "record cut short (\(raw.count - offset) bytes at the end of the file)"
            case .corrupt(let reason):
                problem = reason
            }
            walk.end = .damaged(
                offset: offset, reason: problem, validRecordFollows: nextValidRecord(raw, after: offset, from: expected)
            )
            return walk
        }
        return walk
    }

    /// The offset of an intact record beyond `offset` with a sequence at or past `sequence`.
    private func nextValidRecord(_ raw: UnsafeRawBufferPointer, after offset: Int, from sequence: UInt64) -> Int? {
        var candidate = offset + 1
        while candidate + RecordFrame.prefixSize + RecordFrame.payloadHeaderSize <= raw.count {
            if case .record(let record, _) = RecordFrame.decode(raw, at: candidate),
                record.sequence >= sequence
            {
                return candidate
            }
            candidate += 1
        }
        return nil
    }
}
