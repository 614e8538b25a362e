import TaskhookState
import Testing

@testable import TaskhookJournal

/// Segment format 2: batches marked and page-aligned; format 1 journals still open.
@Suite struct BatchFormatTests {
    static let path = "/journal"

    func writer(_ disk: SimulatedDisk) throws -> GroupCommitWriter {
        let directory = JournalDirectory(path: Self.path, fileSystem: disk)
        return try GroupCommitWriter(directory: directory, recovery: try directory.recover(), options: JournalOptions())
    }

    /// A format 2 segment: the header page, then each batch's frames and its marker.
    func segment(first: UInt64, batches: [[JournalRecord]]) -> [UInt8] {
        var bytes = Segment.header(firstSequence: first)
        for batch in batches {
            let start = bytes.count
            for record in batch { RecordFrame.encode(record, into: &bytes) }
            RecordFrame.encodeBatchEnd(
                lastSequence: batch.last!.sequence, batchStart: start, fileOffset: 0, into: &bytes)
        }
        return bytes
    }

    @Test func everyBatchStartsOnAPageOfItsOwn() throws {
        let disk = SimulatedDisk()
        let writer = try writer(disk)
        for size in [1, 4000, 4096, 9000] {
            _ = writer.append(kind: .expect, time: 1, body: [UInt8](repeating: 1, count: size))
            _ = completions(writer, count: 1)
            let bytes = try #require(disk.bytes(Self.path + "/" + Segment.fileName(firstSequence: 1)))
            #expect(bytes.count % Segment.pageSize == 0)
        }
        writer.close()
        #expect(
            try replayed(JournalDirectory(path: Self.path, fileSystem: disk)).map(\.body.count) == [
                1, 4000, 4096, 9000,
            ])
    }

    @Test func aJournalInFormatOneStillOpensAndAppendsGoToANewFormatTwoSegment() throws {
        let disk = SimulatedDisk()
        try disk.createDirectories(Self.path)
        // Bytes as taskhook wrote them before batch markers, torn tail included.
        var old = Segment.header(firstSequence: 1, formatVersion: 1)
        for sequence: UInt64 in 1...3 { RecordFrame.encode(record(sequence, "old \(sequence)"), into: &old) }
        #expect(old.count == 24 + 3 * (25 + 5))
        disk.place(Self.path + "/" + Segment.fileName(firstSequence: 1), old + [7, 0, 0])

        let writer = try writer(disk)
        _ = writer.append(kind: .expect, time: 1, body: Array("new".utf8))
        _ = completions(writer, count: 1)
        writer.close()

        #expect(disk.bytes(Self.path + "/" + Segment.fileName(firstSequence: 1)) == old)
        let added = try #require(disk.bytes(Self.path + "/" + Segment.fileName(firstSequence: 4)))
        #expect(added[8] == 2)
        let directory = JournalDirectory(path: Self.path, fileSystem: disk)
        #expect(
            try replayed(directory).map { String(decoding: $0.body, as: UTF8.self) } == [
                "old 1", "old 2", "old 3", "new",
            ])
        #expect(try directory.verify().isClean)
    }

    @Test func recordsWithoutTheirBatchMarkerAreCutOffAsNeverCommitted() throws {
        let disk = SimulatedDisk()
        try disk.createDirectories(Self.path)
        var bytes = segment(first: 1, batches: [[record(1)]])
        let committed = bytes.count
        RecordFrame.encode(record(2), into: &bytes)
        RecordFrame.encode(record(3), into: &bytes)
        let path = Self.path + "/" + Segment.fileName(firstSequence: 1)
        disk.place(path, bytes)

        let recovery = try JournalDirectory(path: Self.path, fileSystem: disk).recover()
        #expect(recovery.lastSequence == 1)
        #expect(recovery.truncated?.offset == committed)
        #expect(disk.bytes(path)?.count == committed)
    }

    @Test func damageFollowedByAWholeBatchRefusesAndNamesTheOffset() throws {
        let disk = SimulatedDisk()
        try disk.createDirectories(Self.path)
        var bytes = segment(first: 1, batches: [[record(1)], [record(2), record(3)], [record(4)]])
        let damaged = Segment.pageSize * 2 + 10  // the sequence of the second batch's first record
        bytes[damaged] ^= 0x40
        let path = Self.path + "/" + Segment.fileName(firstSequence: 1)
        disk.place(path, bytes)

        #expect(
            throws: JournalError.corrupt(
                file: path, offset: Segment.pageSize * 2,
                reason: "checksum mismatch; an intact record follows at byte \(Segment.pageSize * 3)")
        ) {
            try JournalDirectory(path: Self.path, fileSystem: disk).recover()
        }
        #expect(disk.bytes(path) == bytes)
    }

    @Test func damageInTheLastBatchWithIntactRecordsAfterItIsATornTail() throws {
        let disk = SimulatedDisk()
        try disk.createDirectories(Self.path)
        var bytes = segment(first: 1, batches: [[record(1)], [record(2), record(3), record(4)]])
        bytes[Segment.pageSize * 2 + 10] ^= 0x40  // record 2; records 3 and 4 and the marker intact
        disk.place(Self.path + "/" + Segment.fileName(firstSequence: 1), bytes)

        let recovery = try JournalDirectory(path: Self.path, fileSystem: disk).recover()
        #expect(recovery.lastSequence == 1)
        #expect(recovery.tail?.size == Segment.pageSize * 2)
    }
}
