import Synchronization
import TaskhookJournal
import TaskhookPosix
import TaskhookState
import Testing

/// A power loss at every point of a run of the group-commit writer (batches of several pages,
/// segment rolls, checkpoints, retention), in the manner of dm-log-writes and CrashMonkey: the
/// writer's own writes are recorded on a simulated disk, and after each of them the disk is
/// cut off several ways (every unsynced page lost, every one kept, and random mixes of lost,
/// kept and torn pages in any order). Each image must start, and hold every record whose batch
/// was acknowledged (its fdatasync returned) before that point.
@Suite struct PowerLossTests {
    static let path = "/journal"

    /// What the run's observer learned, shared with the writer thread.
    final class Observations: Sendable {
        struct State {
            /// The body of every record known to be durable, by sequence.
            var acknowledged: [UInt64: [UInt8]] = [:]
            var crashPoints = 0
            var images = 0
            var failures: [String] = []
            var random = SplitMix(seed: 0x7A5C_4B00)
        }
        let state = Mutex(State())
    }

    @Test func everyAcknowledgedRecordSurvivesAPowerLossAtEveryPointOfARun() throws {
        let observations = Observations()
        let disk = SimulatedDisk { disk, change in
            Self.crashEveryWay(disk, after: change, observations)
        }
        let directory = JournalDirectory(path: Self.path, fileSystem: disk)
        var options = JournalOptions()
        options.segmentSize = 24 * 1024
        options.retentionSeconds = 0
        let writer = try GroupCommitWriter(directory: directory, recovery: try directory.recover(), options: options)
        var random = SplitMix(seed: 42)
        var lastSequence: UInt64 = 0
        for round in 0..<40 {
            let count = Int(random.next() % 5) + 1
            for _ in 0..<count {
                let size = Int(random.next() % 3000) + 1
                let body = [UInt8](repeating: UInt8(truncatingIfNeeded: random.next()), count: size)
                // A kind whose body the start does not read: these bodies are only bytes to find again.
                _ = writer.stage(kind: .checkpoint, time: Int64(round), body: body)
            }
            writer.submit()
            for completion in completions(writer, count: count) {
                if case .appended(_, let sequence) = completion { lastSequence = max(lastSequence, sequence) }
            }
            if round % 8 == 7 {
                var table = TaskTable()
                table.advance(to: lastSequence)
                writer.checkpoint(covering: lastSequence, payload: table.encoded())
                let done = completions(writer, count: 1)
                if case .checkpointed(_, let record, _) = done.first { lastSequence = record }
            }
        }
        writer.close()

        let seen = observations.state.withLock { $0 }
        #expect(seen.failures.isEmpty, "\(seen.failures.prefix(5).joined(separator: "\n"))")
        #expect(seen.crashPoints > 150, "\(seen.crashPoints) crash points, \(seen.images) images")
        #expect(seen.acknowledged.count == Int(lastSequence))
        // Retention ran: the first segment is gone, and the run still replays from a checkpoint.
        #expect(try directory.segments().first?.firstSequence ?? 1 > 1)
    }

    /// Called on the writer thread after every change to the disk.
    static func crashEveryWay(_ disk: SimulatedDisk, after change: String, _ observations: Observations) {
        // A segment's fdatasync returning acknowledges what the segment holds.
        if change.hasPrefix("fdatasync") {
            let whole = disk.afterPowerLoss(fileFate: { _, _, _ in .kept }, nameFate: { _, _ in .kept })
            var durable: [UInt64: [UInt8]] = [:]
            _ = try? JournalDirectory(path: path, fileSystem: whole).verify { durable[$0.sequence] = Array($0.body) }
            observations.state.withLock { $0.acknowledged.merge(durable) { old, _ in old } }
        }
        let unsynced = disk.unsynced
        var seeds: [UInt64] = []
        observations.state.withLock { state in
            state.crashPoints += 1
            seeds = (0..<3).map { _ in state.random.next() }
        }
        var images: [(String, SimulatedDisk)] = [
            ("all unsynced lost", disk.afterPowerLoss()),
            ("all unsynced kept", disk.afterPowerLoss(fileFate: { _, _, _ in .kept }, nameFate: { _, _ in .kept })),
        ]
        for seed in seeds {
            var random = SplitMix(seed: seed)
            // Name changes reach the disk in order (the file system's own journal); pages in any.
            let keptNames = unsynced.names.isEmpty ? 0 : Int(random.next() % UInt64(unsynced.names.count + 1))
            let keptNameIndices = Set(unsynced.names.prefix(keptNames).map(\.index))
            var fates: [String: SimulatedDisk.Fate] = [:]
            for file in unsynced.files {
                let roll = random.next() % 8
                fates["\(file.path)#\(file.index)"] =
                    roll < 3 ? .lost : roll < 7 ? .kept : .torn(at: Int(random.next() % UInt64(SimulatedDisk.pageSize)))
            }
            images.append(
                (
                    "mixed (seed \(seed))",
                    disk.afterPowerLoss(
                        fileFate: { path, index, _ in fates["\(path)#\(index)"] ?? .lost },
                        nameFate: { index, _ in keptNameIndices.contains(index) ? .kept : .lost })
                ))
        }
        let acknowledged = observations.state.withLock { $0.acknowledged }
        for (how, image) in images {
            if let problem = check(image, acknowledged) {
                observations.state.withLock { $0.failures.append("after \(change), \(how): \(problem)") }
            }
        }
        observations.state.withLock { $0.images += images.count }
    }

    /// Starts from the image as the daemon does; nil if it holds every acknowledged record.
    static func check(_ image: SimulatedDisk, _ acknowledged: [UInt64: [UInt8]]) -> String? {
        let directory = JournalDirectory(path: path, fileSystem: image)
        let opened: JournalReplay.Result
        do { opened = try JournalReplay.open(directory) } catch { return "the start refused: \(error)" }
        let last = acknowledged.keys.max() ?? 0
        guard opened.recovery.lastSequence >= last else {
            return "the journal ends at \(opened.recovery.lastSequence), \(last) was acknowledged"
        }
        var problem: String?
        try? directory.replay(after: opened.checkpoint) { record in
            if let body = acknowledged[record.sequence], body != Array(record.body), problem == nil {
                problem = "record \(record.sequence) differs from what was acknowledged"
            }
        }
        return problem
    }
}

/// A small seeded generator, so a failing crash point can be found again.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
