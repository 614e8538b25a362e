import Glibc
import TaskhookCore
import TaskhookState
import Testing

@testable import TaskhookJournal
@testable import TaskhookPosix

@Suite struct RecordFrameTests {
    @Test func aFrameRoundTrips() {
        for kind in RecordKind.allCases {
            let original = JournalRecord(sequence: 42, time: -5, kind: kind, body: [0, 1, 2, 255])
            var bytes: [UInt8] = []
            RecordFrame.encode(original, into: &bytes)
            #expect(bytes.count == RecordFrame.encodedSize(bodyCount: 4))
            let decoded = bytes.withUnsafeBytes { raw -> (JournalRecord, Int)? in
                guard case .record(let view, let size) = RecordFrame.decode(raw, at: 0) else { return nil }
                return (view.record, size)
            }
            #expect(decoded?.0 == original)
            #expect(decoded?.1 == bytes.count)
        }
    }

    @Test func everyShortPrefixIsIncompleteAndEveryFlippedBitIsCaught() {
        var bytes: [UInt8] = []
        RecordFrame.encode(record(7, "a callback body"), into: &bytes)
        for cut in 0..<bytes.count {
            let decoded = Array(bytes[..<cut]).withUnsafeBytes { RecordFrame.decode($0, at: 0) }
            if case .record = decoded { Issue.record("a \(cut)-byte prefix decoded as a record") }
        }
        for bit in 0..<(bytes.count * 8) {
            var damaged = bytes
            damaged[bit / 8] ^= UInt8(1 << (bit % 8))
            if case .record = damaged.withUnsafeBytes({ RecordFrame.decode($0, at: 0) }) {
                Issue.record("bit \(bit) flipped and the frame still decoded")
            }
        }
    }

    @Test func crc32cMatchesTheStandardCheckValue() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
    }

    @Test func theChecksumOfAnyRangeComesFromPrefixesAsIfReadAgain() {
        var state: UInt64 = 3
        func next() -> UInt64 {  // a fixed sequence (an LCG), so a failing range shows again
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 11
        }
        let bytes = (0..<10_000).map { _ in UInt8(truncatingIfNeeded: next()) }
        #expect(
            CRC32C.combine(
                CRC32C.checksum(Array(bytes[..<4000])), CRC32C.checksum(Array(bytes[4000...])), secondCount: 6000)
                == CRC32C.checksum(bytes))
        bytes.withUnsafeBytes { raw in
            for base in [0, 1, 63, 64, 100] {
                var ranges = ChecksumRanges(raw, from: base)
                for _ in 0..<300 {
                    let start = base + Int(next() % UInt64(raw.count - base))
                    let end = start + Int(next() % UInt64(raw.count - start + 1))
                    let direct = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[start..<end]))
                    #expect(ranges.checksum(start..<end) == direct, "\(start)..<\(end) from \(base)")
                }
            }
        }
    }
}

@Suite struct RecoveryTests {
    @Test func truncationAtEveryOffsetOfTheLastRecordRecoversToThePreviousOne() throws {
        let records = (1...3).map { record($0, "record number \($0)") }
        let dir = TemporaryDirectory()
        let path = try writeSegment(dir.path, first: 1, records)
        let full = try readAll(path)
        var lastFrame: [UInt8] = []
        RecordFrame.encode(records[2], into: &lastFrame)
        let lastStart = full.count - lastFrame.count
        for cut in lastStart..<full.count {
            try overwrite(path, Array(full[..<cut]))
            let directory = JournalDirectory(path: dir.path)
            let recovery = try directory.recover()
            #expect(recovery.lastSequence == 2, "cut at \(cut)")
            #expect(recovery.tail == nil)  // format 1: appends continue in a new segment
            #expect(recovery.truncated?.offset == (cut == lastStart ? nil : lastStart))
            #expect(try readAll(path).count == lastStart)
            #expect(try replayed(directory) == Array(records[..<2]))
        }
    }

    @Test func aFlippedBitMidSegmentRefusesToOpenAndNamesFileAndOffset() throws {
        let records = (1...5).map { record($0, "payload \($0)") }
        let dir = TemporaryDirectory()
        let path = try writeSegment(dir.path, first: 1, records)
        var bytes = try readAll(path)
        var frame: [UInt8] = []
        RecordFrame.encode(records[0], into: &frame)
        let secondRecord = Segment.headerSize + frame.count
        bytes[secondRecord + 20] ^= 0x10
        try overwrite(path, bytes)
        let directory = JournalDirectory(path: dir.path)
        let error = #expect(throws: JournalError.self) { try directory.recover() }
        guard case .corrupt(let file, let offset, let reason)? = error else {
            Issue.record("expected corruption, got \(String(describing: error))")
            return
        }
        #expect(file == path)
        #expect(offset == secondRecord)
        #expect(reason.contains("checksum mismatch"))
        #expect(reason.contains("an intact record follows"))
        let report = try directory.verify()
        #expect(!report.isClean)
        #expect(report.problems.first?.offset == secondRecord)
        #expect(try readAll(path) == bytes)  // nothing was changed
    }

    /// Damage that looks like a frame at every 25th byte (a length that fits, a sequence and kind
    /// that could be, a wrong checksum). Looking for an intact record after it read each claimed
    /// payload again: 10,000 candidates here claiming 256 KiB each, 2.7 GB for 0.5 MiB of damage
    /// (hours for a 64 MiB segment). Now the checksums cost one pass and two blocks a candidate.
    @Test func damageThatLooksLikeFramesEverywhereIsSearchedInLinearTime() throws {
        let records = (1...3).map { record($0, "record \($0)") }
        var fake: [UInt8] = []
        RecordFrame.encode(record(4, ""), into: &fake)
        fake.replaceSubrange(0..<4, with: withUnsafeBytes(of: UInt32(256 << 10).littleEndian, Array.init))
        let damage = Array([[UInt8]](repeating: fake, count: (512 << 10) / fake.count).joined())
        var intact: [UInt8] = []
        RecordFrame.encode(record(4, "after the damage"), into: &intact)

        for followed in [false, true] {
            let dir = TemporaryDirectory()
            let path = try writeSegment(dir.path, first: 1, records, trailing: damage + (followed ? intact : []))
            let bytes = try readAll(path)
            let damageStart = bytes.count - damage.count - (followed ? intact.count : 0)
            let search = bytes.withUnsafeBytes { SegmentContents.searchIntactRecord($0, after: damageStart, from: 4) }
            #expect(search.offset == (followed ? damageStart + damage.count : nil))
            // The pass, and at most two 64-byte blocks per candidate (one every 25 bytes here):
            // at most about 6 times the file, however much each candidate claims.
            #expect(search.checksummed < 7 * bytes.count)
            if followed {
                let error = #expect(throws: JournalError.self) { try JournalDirectory(path: dir.path).recover() }
                guard case .corrupt(_, let offset, let reason)? = error else {
                    Issue.record("expected corruption, got \(String(describing: error))")
                    continue
                }
                #expect(offset == damageStart)
                #expect(reason.hasSuffix("an intact record follows at byte \(damageStart + damage.count)"))
            } else {
                let recovery = try JournalDirectory(path: dir.path).recover()
                #expect(recovery.lastSequence == 3)
                #expect(recovery.truncated?.offset == damageStart)
                #expect(try readAll(path).count == damageStart)
            }
        }
    }

    @Test func damageInAnEarlierSegmentIsFoundByReplayAndVerify() throws {
        let dir = TemporaryDirectory()
        let first = try writeSegment(dir.path, first: 1, (1...3).map { record($0) })
        try writeSegment(dir.path, first: 4, (4...5).map { record($0) })
        var bytes = try readAll(first)
        bytes[bytes.count - 3] ^= 1
        try overwrite(first, bytes)
        let directory = JournalDirectory(path: dir.path)
        _ = try directory.recover()  // the tail segment is fine
        #expect(throws: JournalError.self) { try replayed(directory) }
        #expect(try directory.verify().problems.map(\.file) == [first])
    }

    @Test func aGapBetweenSegmentsIsReported() throws {
        let dir = TemporaryDirectory()
        try writeSegment(dir.path, first: 1, (1...3).map { record($0) })
        try writeSegment(dir.path, first: 5, (5...6).map { record($0) })
        let directory = JournalDirectory(path: dir.path)
        _ = try directory.recover()
        #expect(throws: JournalError.self) { try replayed(directory) }
        #expect(try !directory.verify().isClean)
    }

    @Test func aSegmentWhoseHeaderNeverReachedTheDiskIsRemoved() throws {
        let dir = TemporaryDirectory()
        try writeSegment(dir.path, first: 1, (1...3).map { record($0) })
        let partial = dir.path + "/" + Segment.fileName(firstSequence: 4)
        try overwrite(partial, Array(Segment.header(firstSequence: 4).prefix(10)))
        let recovery = try JournalDirectory(path: dir.path).recover()
        #expect(recovery.lastSequence == 3)
        #expect(!FileSystem.exists(partial))
    }

    @Test func verifyReportsATornTailWithoutFailing() throws {
        let dir = TemporaryDirectory()
        try writeSegment(dir.path, first: 1, (1...3).map { record($0) }, trailing: [9, 0, 0])
        let report = try JournalDirectory(path: dir.path).verify()
        #expect(report.isClean)
        #expect(report.records == 3)
        #expect(report.tornTail != nil)
    }
}

@Suite struct GroupCommitWriterTests {
    func open(_ dir: TemporaryDirectory, _ configure: (inout JournalOptions) -> Void = { _ in }) throws
        -> GroupCommitWriter
    {
        let directory = JournalDirectory(path: dir.path)
        var options = JournalOptions()
        configure(&options)
        return try GroupCommitWriter(directory: directory, recovery: try directory.recover(), options: options)
    }

    @Test func appendsBecomeDurableWithGaplessSequencesAcrossReopen() throws {
        let dir = TemporaryDirectory()
        var writer = try open(dir)
        let tickets = (0..<100).map { writer.append(kind: .delivery, time: 1, body: Array("r\($0)".utf8)) }
        let done = completions(writer, count: 100)
        #expect(done == tickets.enumerated().map { .appended(ticket: $1, sequence: UInt64($0 + 1)) })
        writer.close()
        writer = try open(dir)
        _ = writer.append(kind: .expect, time: 2, body: [])
        #expect(
            completions(writer, count: 1).first.map { if case .appended(_, 101) = $0 { true } else { false } } == true)
        writer.close()
        let records = try replayed(JournalDirectory(path: dir.path))
        #expect(records.map(\.sequence) == Array(1...101))
        #expect(records[41].body == Array("r41".utf8))
    }

    @Test func segmentsRollAtTheConfiguredSize() throws {
        let dir = TemporaryDirectory()
        let writer = try open(dir) { $0.segmentSize = 1024 }
        for i in 0..<50 {
            _ = writer.append(kind: .delivery, time: 0, body: [UInt8](repeating: UInt8(i), count: 100))
            _ = completions(writer, count: 1)  // one batch each, so every roll point is exercised
        }
        writer.close()
        let directory = JournalDirectory(path: dir.path)
        #expect(try directory.segments().count > 3)
        #expect(try replayed(directory).map(\.sequence) == Array(1...50))
        #expect(try directory.verify().isClean)
    }

    @Test func checkpointPlusReplayEqualsAFullReplay() throws {
        let dir = TemporaryDirectory()
        let writer = try open(dir) { $0.segmentSize = 2048 }
        var table = TaskTable()
        func deliver(_ i: Int) {
            let event = TaskEvent(
                taskID: "t\(i % 13)", provider: "freepik", status: [.inProgress, .completed, .failed][i % 3],
                results: ["https://cdn/\(i).mp4"])
            let delivery = Delivery(
                route: "/hooks/freepik", provider: "freepik", remoteAddress: "127.0.0.1", deliveryID: "msg_\(i)",
                headers: [], body: Array("{}".utf8), events: [event])
            _ = writer.append(kind: .delivery, time: Int64(i), body: delivery.encoded())
        }
        func apply(_ records: [JournalRecord], to table: inout TaskTable) throws {  // owned copies
            for r in records {
                guard r.kind == .delivery else {
                    table.advance(to: r.sequence)
                    continue
                }
                let delivery = try Delivery(decoding: r.body)
                for e in delivery.events {
                    table.apply(
                        e, deliveryID: delivery.deliveryID, sequence: r.sequence, time: r.time)
                }
            }
        }
        for i in 0..<60 { deliver(i) }
        _ = completions(writer, count: 60)
        try apply(try replayed(JournalDirectory(path: dir.path)), to: &table)
        writer.checkpoint(covering: table.lastSequence, payload: table.encoded())
        let done = completions(writer, count: 1)
        guard case .checkpointed(let covering, _, _) = done.first else {
            Issue.record("checkpoint failed: \(done)")
            return
        }
        #expect(covering == 60)
        for i in 60..<100 { deliver(i) }
        _ = completions(writer, count: 40)
        writer.close()

        let directory = JournalDirectory(path: dir.path)
        var full = TaskTable()
        try apply(try replayed(directory), to: &full)
        let checkpoint = try #require(try Checkpoint.latest(in: directory))
        var fromCheckpoint = try TaskTable(decoding: checkpoint.payload)
        try apply(try replayed(directory, after: checkpoint.sequence), to: &fromCheckpoint)
        #expect(fromCheckpoint == full)
    }

    @Test func retentionDeletesOnlySegmentsACheckpointCovers() {
        let segments = [
            Retention.SegmentInfo(name: "a", firstSequence: 1, modified: 100),
            Retention.SegmentInfo(name: "b", firstSequence: 11, modified: 200),
            Retention.SegmentInfo(name: "c", firstSequence: 21, modified: 300),
            Retention.SegmentInfo(name: "d", firstSequence: 31, modified: 400),
        ]
        // Checkpoint covers up to 25: "a" (1…10) and "b" (11…20) are covered, "c" (21…30) is not.
        #expect(Retention.removable(segments, checkpoint: 25, now: 10_000, age: 50) == ["a", "b"])
        // Too young to go, even if covered.
        #expect(Retention.removable(segments, checkpoint: 25, now: 210, age: 50) == ["a"])
        // The last segment is never removed.
        #expect(Retention.removable(segments, checkpoint: 1000, now: 10_000, age: 0) == ["a", "b", "c"])
        #expect(Retention.removable(segments, checkpoint: 5, now: 10_000, age: 0) == [])
    }

    @Test func aDamagedNewestCheckpointIsPassedOverForAnOlderOne() throws {
        let dir = TemporaryDirectory()
        let directory = JournalDirectory(path: dir.path)
        try FileSystem.createDirectories(dir.path)
        try Checkpoint.write([1, 2, 3], covering: 10, in: directory)
        let newer = try Checkpoint.write([4, 5, 6], covering: 20, in: directory).path
        var bytes = try readAll(newer)
        bytes[bytes.count - 1] ^= 0xFF
        try overwrite(newer, bytes)
        let loaded = try #require(try Checkpoint.latest(in: directory))
        #expect(loaded.sequence == 10)
        #expect(loaded.payload == [1, 2, 3])
        #expect(loaded.skipped.map(\.file) == [newer])
    }
}
