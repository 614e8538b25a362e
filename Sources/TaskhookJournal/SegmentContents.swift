import TaskhookPosix

/// One segment file in memory, read or mapped, and a walk over its frames.
struct SegmentContents {
    let path: String
    let storage: FileContents
    let firstSequence: UInt64
    let formatVersion: UInt32

    var count: Int { storage.count }

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
    static func load(_ path: String, from fileSystem: any DurableFileSystem, mapped: Bool = false)
        throws(JournalError) -> SegmentContents
    {
        let storage: FileContents
        do { storage = try fileSystem.contents(of: path, mapped: mapped) } catch { throw .io(error) }
        let contents = SegmentContents(path: path, storage: storage, firstSequence: 0, formatVersion: 0)
        let header = try contents.withBytes { raw throws(JournalError) in Segment.parseHeader(raw) }
        switch header {
        case .success(let header):
            return SegmentContents(
                path: path, storage: storage, firstSequence: header.firstSequence, formatVersion: header.formatVersion)
        case .failure(.short):
            throw .corrupt(file: path, offset: 0, reason: "segment header is incomplete (\(contents.count) bytes)")
        case .failure(.invalid(let reason)):
            throw .corrupt(file: path, offset: 0, reason: reason)
        }
    }

    /// Walks the frames in order, calling `visit` for each valid record (its body borrowed),
    /// and stops at the first frame that is not valid. In format 2, records are visited once
    /// the marker ending their batch is read, and a batch without its marker ends the walk.
    func walk(_ visit: (RecordView) throws(JournalError) -> Void = { _ in }) throws(JournalError) -> Walk {
        try withBytes { raw throws(JournalError) in
            formatVersion >= 2 ? try walkBatches(raw, visit) : try walk(raw, visit)
        }
    }

    private func walkBatches(
        _ raw: UnsafeRawBufferPointer, _ visit: (RecordView) throws(JournalError) -> Void
    ) throws(JournalError) -> Walk {
        let first = Segment.firstFrameOffset(formatVersion: formatVersion)
        var walk = Walk(end: .clean, validEnd: first, records: 0, lastSequence: nil)
        var offset = first
        var batch: [RecordView] = []
        var expected = firstSequence
        func damaged(_ reason: String) -> Walk {
            // Only the last batch can be partly on disk after a power loss (the next is written
            // after this one's sync); a whole intact batch beyond the damage means acknowledged
            // records are damaged.
            walk.end = .damaged(offset: offset, reason: reason, validRecordFollows: nextBatch(raw, after: offset))
            return walk
        }
        while offset < raw.count {
            switch RecordFrame.decode(raw, at: offset) {
            case .record(let record, let size):
                guard record.sequence == expected else {
                    return damaged("sequence \(record.sequence) where \(expected) was expected")
                }
                batch.append(record)
                expected += 1
                offset += size
            case .batchEnd(let last, let start, let size):
                guard start == walk.validEnd, !batch.isEmpty, last + 1 == expected else {
                    return damaged("a batch marker that does not end the batch before it")
                }
                for record in batch { try visit(record) }
                walk.records += batch.count
                walk.lastSequence = last
                batch.removeAll(keepingCapacity: true)
                offset += size
                walk.validEnd = offset
            case .incomplete:
                return damaged("record cut short (\(raw.count - offset) bytes at the end of the file)")
            case .corrupt(let reason):
                return damaged(reason)
            }
        }
        if !batch.isEmpty {
            walk.end = .damaged(
                offset: walk.validEnd, reason: "a batch of \(batch.count) records without its end marker",
                validRecordFollows: nil)
        }
        return walk
    }

    /// The offset of a whole intact batch starting after `offset`: records in sequence, then
    /// the marker naming that start. Batches start on page boundaries.
    private func nextBatch(_ raw: UnsafeRawBufferPointer, after offset: Int) -> Int? {
        let page = Segment.pageSize
        var start = (offset / page + 1) * page
        while start < raw.count {
            var position = start
            var next: UInt64?
            scan: while position < raw.count {
                switch RecordFrame.decode(raw, at: position) {
                case .record(let record, let size):
                    guard next == nil || record.sequence == next else { break scan }
                    next = record.sequence + 1
                    position += size
                case .batchEnd(let last, let batchStart, _):
                    if batchStart == start, let next, last + 1 == next { return start }
                    break scan
                case .incomplete, .corrupt:
                    break scan
                }
            }
            start += page
        }
        return nil
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
            case .batchEnd:
                problem = "a batch marker in a format 1 segment"
            }
            walk.end = .damaged(
                offset: offset, reason: problem, validRecordFollows: nextValidRecord(raw, after: offset, from: expected)
            )
            return walk
        }
        return walk
    }

    /// The offset of an intact record beyond `offset` with a sequence at or past `sequence`.
    ///
    /// Any byte may start one, so every offset is a candidate. Checking each candidate's checksum
    /// by reading the payload it claims (up to 16 MiB) made this quadratic: damage that looks like
    /// frames everywhere (a claimed length that fits, then garbage) took hours. The cheap fields
    /// are checked first, and a checksum comes from `ChecksumRanges` (one pass over the rest of
    /// the file, then a bounded cost per candidate), so the search is linear in the file's size.
    private func nextValidRecord(_ raw: UnsafeRawBufferPointer, after offset: Int, from sequence: UInt64) -> Int? {
        Self.searchIntactRecord(raw, after: offset, from: sequence).offset
    }

    /// `nextValidRecord`, and how many bytes it read to compute checksums (the cost that was
    /// quadratic).
    static func searchIntactRecord(_ raw: UnsafeRawBufferPointer, after offset: Int, from sequence: UInt64) -> (
        offset: Int?, checksummed: Int
    ) {
        let prefix = RecordFrame.prefixSize
        var checksums: ChecksumRanges?
        var candidate = offset + 1
        while candidate + prefix + RecordFrame.payloadHeaderSize <= raw.count {
            defer { candidate += 1 }
            // What `RecordFrame.decode` accepts as a record, the checksum last.
            let length = Int(RecordFrame.load(UInt32.self, raw, candidate))
            guard length >= RecordFrame.payloadHeaderSize,
                length <= RecordFrame.payloadHeaderSize + RecordFrame.maxBodySize,
                candidate + prefix + length <= raw.count,
                RecordFrame.load(UInt64.self, raw, candidate + prefix) >= sequence,
                RecordKind(rawValue: raw[candidate + prefix + 16]) != nil
            else { continue }
            if checksums == nil { checksums = ChecksumRanges(raw, from: candidate + prefix) }
            let payload = (candidate + prefix)..<(candidate + prefix + length)
            if checksums!.checksum(payload) == RecordFrame.load(UInt32.self, raw, candidate + 4) {
                return (candidate, checksums!.bytesRead)
            }
        }
        return (nil, checksums?.bytesRead ?? 0)
    }
}
