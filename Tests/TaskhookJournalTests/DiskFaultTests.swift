import Synchronization
import TaskhookPosix
import TaskhookState
import Testing

@testable import TaskhookJournal

/// The journal on a simulated disk: damaged checkpoints, failed syncs, torn and reordered page
/// writes. "The start" is what the daemon does: `JournalReplay.open`.
@Suite struct DiskFaultTests {
    static let path = "/journal"

    func writer(_ disk: SimulatedDisk, _ configure: (inout JournalOptions) -> Void = { _ in }) throws
        -> GroupCommitWriter
    {
        let directory = JournalDirectory(path: Self.path, fileSystem: disk)
        var options = JournalOptions()
        configure(&options)
        return try GroupCommitWriter(directory: directory, recovery: try directory.recover(), options: options)
    }

    func start(_ disk: SimulatedDisk) throws -> JournalReplay.Result {
        try JournalReplay.open(JournalDirectory(path: Self.path, fileSystem: disk))
    }

    /// Starts from a power-loss image and checks that it holds exactly `bodies`, in order.
    func expectStart(from image: SimulatedDisk?, holding bodies: [[UInt8]]) throws {
        let crashed = try #require(image, "no power-loss image was taken")
        let opened = try start(crashed)
        #expect(opened.recovery.lastSequence == UInt64(bodies.count))
        #expect(try replayed(JournalDirectory(path: Self.path, fileSystem: crashed)).map(\.body) == bodies)
    }

    /// Appends each body as a batch of its own and waits until it is acknowledged. Its records
    /// are of a kind whose body the start does not read (`checkpoint` markers), so any bytes do.
    func appendEach(_ writer: GroupCommitWriter, _ bodies: [[UInt8]]) {
        for body in bodies {
            _ = writer.append(kind: .checkpoint, time: 1, body: body)
            _ = completions(writer, count: 1)
        }
    }

    func checkpoint(_ writer: GroupCommitWriter, covering sequence: UInt64) -> GroupCommitWriter.Completion? {
        var table = TaskTable()
        table.advance(to: sequence)
        writer.checkpoint(covering: sequence, payload: table.encoded())
        return completions(writer, count: 1).first
    }

    // MARK: Item 9

    @Test func aDamagedNewestCheckpointLeavesThePreviousOneAndTheSegmentsItNeeds() throws {
        let disk = SimulatedDisk()
        let writer = try writer(disk) {
            $0.segmentSize = 1024
            $0.retentionSeconds = 0
        }
        appendEach(writer, (1...20).map { [UInt8](repeating: UInt8($0), count: 100) })
        _ = checkpoint(writer, covering: 20)  // its record is 21
        appendEach(writer, (22...41).map { [UInt8](repeating: UInt8($0), count: 100) })
        let newest = checkpoint(writer, covering: 41)  // its record is 42
        writer.close()
        guard case .checkpointed(41, 42, _) = newest else {
            Issue.record("checkpoint failed: \(String(describing: newest))")
            return
        }
        let newestPath = Self.path + "/" + Checkpoint.fileName(covering: 41)
        var damaged = try #require(disk.bytes(newestPath))
        damaged[damaged.count - 1] ^= 0xFF
        disk.place(newestPath, damaged)

        let opened = try start(disk)
        #expect(opened.recovery.lastSequence == 42)
        #expect(opened.checkpoint == 20)
        #expect(opened.skippedCheckpoints.map(\.file) == [newestPath])
        let directory = JournalDirectory(path: Self.path, fileSystem: disk)
        #expect(try replayed(directory, after: 20).map(\.sequence) == Array(21...42))
    }

    @Test func whenNoCheckpointCanBeReadTheRefusalNamesTheDamagedOne() throws {
        let disk = SimulatedDisk()
        try disk.createDirectories(Self.path)
        var table = TaskTable()
        table.advance(to: 29)
        var bytes = Checkpoint.encode(table.encoded(), covering: 29)
        bytes[bytes.count - 1] ^= 0xFF
        let checkpointPath = Self.path + "/" + Checkpoint.fileName(covering: 29)
        disk.place(checkpointPath, bytes)
        var segment = Segment.header(firstSequence: 30, formatVersion: 1)
        RecordFrame.encode(record(30, kind: .checkpoint), into: &segment)
        disk.place(Self.path + "/" + Segment.fileName(firstSequence: 30), segment)

        #expect {
            try start(disk)
        } throws: { error in
            "\(error)".contains(checkpointPath) && "\(error)".contains("missing")
        }
    }

    // MARK: Item 10

    @Test func aLaterPageOfAnUnacknowledgedBatchPersistedBeforeAnEarlierOneDoesNotRefuseTheStart() throws {
        let image = Mutex<SimulatedDisk?>(nil)
        let disk = SimulatedDisk { disk, change in
            // The moment the three-page batch is written and not yet synced.
            guard change.hasPrefix("pwrite"), let size = Int(change.split(separator: "+").last ?? ""), size > 10_000
            else { return }
            let pending = disk.unsynced.files.filter {
                if case .page = $0.change { true } else { false }
            }
            let firstPage = pending.compactMap { if case .page(let w) = $0.change { w.page } else { nil } }.min()
            let crashed = disk.afterPowerLoss(
                fileFate: { _, _, change in
                    if case .page(let write) = change, write.page == firstPage { return .lost }
                    return .kept
                },
                nameFate: { _, _ in .kept })
            image.withLock { $0 = crashed }
        }
        let writer = try writer(disk)
        appendEach(writer, [Array("acknowledged".utf8)])
        // Ten records of 1,000 bytes (25 bytes of framing each): one batch over three pages.
        for i in 0..<10 {
            _ = writer.stage(kind: .checkpoint, time: 2, body: [UInt8](repeating: UInt8(i), count: 1000))
        }
        writer.submit()
        _ = completions(writer, count: 10)
        writer.close()

        try expectStart(from: image.withLock { $0 }, holding: [Array("acknowledged".utf8)])
    }

    // MARK: Item 11

    @Test func aTornWriteOfTheNextBatchNeverCutsAnAcknowledgedRecord() throws {
        let image = Mutex<SimulatedDisk?>(nil)
        let disk = SimulatedDisk { disk, change in
            // The last batch written (the second) stays: each is kept until the next replaces it.
            guard change.hasPrefix("pwrite /journal/0"), !change.contains(" 0+") else { return }
            // Cut every page being written 30 bytes in: inside the first record, were its page
            // written again.
            let crashed = disk.afterPowerLoss(fileFate: { _, _, _ in .torn(at: 30) }, nameFate: { _, _ in .kept })
            image.withLock { $0 = crashed }
        }
        let writer = try writer(disk)
        appendEach(writer, [Array("first, acknowledged".utf8)])
        appendEach(writer, [Array("second".utf8)])
        writer.close()

        try expectStart(from: image.withLock { $0 }, holding: [Array("first, acknowledged".utf8)])
    }

    // MARK: Item 13

    @Test func aCheckpointWhoseDirectorySyncFailedIsTreatedAsNeverWritten() throws {
        let disk = SimulatedDisk()
        let writer = try writer(disk)
        appendEach(writer, (1...5).map { [UInt8(truncatingIfNeeded: $0)] })
        disk.inject(SimulatedDisk.Fault(operation: .syncDirectory))
        let outcome = checkpoint(writer, covering: 5)
        writer.close()
        guard case .checkpointFailed = outcome else {
            Issue.record("the checkpoint was reported written: \(String(describing: outcome))")
            return
        }
        #expect(!disk.exists(Self.path + "/" + Checkpoint.fileName(covering: 5)))
        #expect(try disk.list(Self.path).allSatisfy { !$0.hasPrefix("checkpoint-") })
    }

    @Test func aSegmentWhoseDirectorySyncFailedIsTreatedAsNeverCreated() throws {
        let disk = SimulatedDisk()
        let writer = try writer(disk)
        disk.inject(SimulatedDisk.Fault(operation: .syncDirectory))
        _ = writer.append(kind: .checkpoint, time: 1, body: [1])
        let failed = completions(writer, count: 1)
        #expect(failed.allSatisfy { if case .failed = $0 { true } else { false } })
        appendEach(writer, [[2]])
        writer.close()
        // Every name change the failed sync left to chance is lost; the retry's are not.
        let crashed = disk.afterPowerLoss()
        #expect(try replayed(JournalDirectory(path: Self.path, fileSystem: crashed)).map(\.body) == [[2]])
    }

    @Test func checkpointTemporaryFilesLeftByACrashAreRemovedAtStart() throws {
        let disk = SimulatedDisk()
        try disk.createDirectories(Self.path)
        let leftover = Self.path + "/" + Checkpoint.fileName(covering: 7) + ".tmp"
        disk.place(leftover, [1, 2, 3])
        _ = try start(disk)
        #expect(!disk.exists(leftover))
    }

    @Test func aCheckpointBeyondTheJournalRefusesBeforeAnythingIsTruncated() throws {
        let disk = SimulatedDisk()
        try disk.createDirectories(Self.path)
        var segment = Segment.header(firstSequence: 1, formatVersion: 1)
        for sequence: UInt64 in 1...5 { RecordFrame.encode(record(sequence, kind: .checkpoint), into: &segment) }
        segment += [9, 0, 0]  // a torn tail recovery would cut off
        let segmentPath = Self.path + "/" + Segment.fileName(firstSequence: 1)
        disk.place(segmentPath, segment)
        var table = TaskTable()
        table.advance(to: 9)
        disk.place(Self.path + "/" + Checkpoint.fileName(covering: 9), Checkpoint.encode(table.encoded(), covering: 9))

        #expect(throws: JournalError.self) { try start(disk) }
        #expect(disk.bytes(segmentPath) == segment)
    }
}

extension DiskFaultTests {
    final class Snapshot: Sendable {}

    /// What a checkpoint encodes (the loop's snapshot of the table) is let go on the checkpoint
    /// thread once encoded, not kept until the next checkpoint and released then on the thread
    /// that asked for it: for a million tasks that release alone held the loop a quarter second.
    @Test func aCheckpointLetsGoOfWhatItEncodedOnTheCheckpointThread() throws {
        let writer = try writer(SimulatedDisk())
        appendEach(writer, [[1]])
        weak var held: Snapshot?
        do {
            let snapshot = Snapshot()
            held = snapshot
            var table = TaskTable()
            table.advance(to: 1)
            let payload = table.encoded()
            writer.checkpoint(covering: 1) { [snapshot] (sink: inout Checkpoint.Sink) throws(SyscallError) in
                _ = snapshot
                try sink.append(payload[...])
            }
        }
        guard case .checkpointed = completions(writer, count: 1).first else {
            Issue.record("the checkpoint was not written")
            return
        }
        #expect(held == nil)
        writer.close()
    }

    /// A checkpoint of several slices: each slice handed to the disk once written, and waited
    /// for once the next one is, so at most two are dirty (the last, partial one is left to the
    /// sync); the checkpoint reads back whole. Appended whole or in pieces that straddle the
    /// slices, the file and its write-backs are the same.
    @Test(arguments: [nil, 1, 1000, 8_191, 8_193])
    func aLargeCheckpointIsWrittenBackASliceAtATime(pieces: Int?) throws {
        let disk = SimulatedDisk()
        try disk.createDirectories(Self.path)
        let directory = JournalDirectory(path: Self.path, fileSystem: disk)
        let slice = 8_192
        let payload = (0..<(2 * slice + slice / 2)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let written = try Checkpoint.write(covering: 7, in: directory, slice: slice) {
            (sink: inout Checkpoint.Sink) throws(SyscallError) in
            var start = 0
            while start < payload.count {
                let end = min(payload.count, start + (pieces ?? payload.count))
                try sink.append(payload[start..<end])
                start = end
            }
        }
        let header = Checkpoint.headerSize
        let temporary = written.path + Checkpoint.temporarySuffix
        #expect(
            disk.writeBacks == [
                .init(path: temporary, offset: header, count: slice, waiting: false),
                .init(path: temporary, offset: header + slice, count: slice, waiting: false),
                .init(path: temporary, offset: header, count: slice, waiting: true),
            ])
        #expect(disk.bytes(written.path) == Checkpoint.encode(payload, covering: 7))
        #expect(try Checkpoint.latest(in: directory)?.payload == payload)
    }
}
