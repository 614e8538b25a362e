import TaskhookPosix

/// A snapshot of the task table covering every record up to a sequence, so start-up replays
/// only what follows. Written to a temporary file, synced, then renamed into place.
///
///     "THCHKPT1"  u64 covered sequence  u32 CRC-32C of the payload  u32 payload length  payload
public enum Checkpoint {
    static let magic: [UInt8] = Array("THCHKPT1".utf8)
    static let headerSize = 24
    static let prefix = "checkpoint-"
    static let suffix = ".thc"

    public static func fileName(covering sequence: UInt64) -> String {
        let digits = String(sequence)
        return prefix + String(repeating: "0", count: max(0, 20 - digits.count)) + digits + suffix
    }

    static func sequence(fileName: String) -> UInt64? {
        guard fileName.hasPrefix(prefix), fileName.hasSuffix(suffix) else { return nil }
        return UInt64(fileName.dropFirst(prefix.count).dropLast(suffix.count))
    }

    static func encode(_ payload: [UInt8], covering sequence: UInt64) -> [UInt8] {
        header(payload, covering: sequence) + payload
    }

    /// What precedes the payload in the file.
    static func header(_ payload: [UInt8], covering sequence: UInt64) -> [UInt8] {
        var out = magic
        withUnsafeBytes(of: sequence.littleEndian) { out.append(contentsOf: $0) }
        withUnsafeBytes(of: CRC32C.checksum(payload).littleEndian) { out.append(contentsOf: $0) }
        withUnsafeBytes(of: UInt32(payload.count).littleEndian) { out.append(contentsOf: $0) }
        return out
    }

    /// A checkpoint written and read back intact.
    public struct Written: Sendable, Equatable {
        public var path: String
        /// The sequence the previous checkpoint covers (0 if there is none). It is kept, with
        /// the segments replaying from it needs, so a newest checkpoint damaged later is not
        /// the end of the journal.
        public var previous: UInt64
    }

    /// Writes the checkpoint durably, proves it by reading it back, and removes the
    /// checkpoints older than the previous one. A checkpoint whose rename could not be made
    /// durable (the directory sync failed) is removed again: a later directory sync may report
    /// success without it reaching the disk.
    @discardableResult
    /// `slice`: the size of the slices written back one after the other (see `writeSlice`).
    public static func write(
        _ payload: [UInt8], covering sequence: UInt64, in directory: JournalDirectory, slice: Int = writeSlice
    ) throws(JournalError) -> Written {
        let final = directory.file(fileName(covering: sequence))
        let temporary = final + temporarySuffix
        let fileSystem = directory.fileSystem
        let older = try list(directory).filter { $0.sequence < sequence }
        var renamed = false
        do {
            if fileSystem.exists(temporary) { try fileSystem.remove(temporary) }
            let file = try fileSystem.create(temporary)
            defer { file.close() }
            // Header and payload apart: joining them would copy a payload of many megabytes.
            let header = header(payload, covering: sequence)
            try file.write(header, at: 0)
            try writeInSlices(payload, at: header.count, to: file, slice: max(1, slice))
            try file.sync()
            // Read again only at the next start: its pages need not stay cached.
            file.dropCachedPages(offset: 0, count: header.count + payload.count)
            try fileSystem.rename(temporary, to: final)
            renamed = true
            try fileSystem.syncDirectory(directory.path)
        } catch {
            try? fileSystem.remove(renamed ? final : temporary)
            if renamed { try? fileSystem.syncDirectory(directory.path) }
            throw .io(error)
        }
        let readBack: [UInt8]
        do { readBack = try fileSystem.contents(of: final, mapped: false).copy } catch { throw .io(error) }
        if let problem = check(readBack, covering: sequence) {
            throw .corrupt(file: final, offset: 0, reason: "read back after writing: \(problem)")
        }
        let previous = older.last?.sequence ?? 0
        for (name, covered) in older where covered < previous {
            try? fileSystem.remove(directory.file(name))
        }
        return Written(path: final, previous: previous)
    }

    static let temporarySuffix = ".tmp"

    /// A checkpoint is written a slice at a time, each handed to the disk at once and waited for
    /// once the next is written: at most two slices are ever dirty. Written whole, a checkpoint
    /// of a million tasks left 200 MB of dirty pages for its sync, queued ahead of every journal
    /// fdatasync meanwhile, and callbacks' answers waited behind them.
    public static let writeSlice = 8 << 20

    private static func writeInSlices(_ payload: [UInt8], at start: Int, to file: any DurableFile, slice: Int)
        throws(SyscallError)
    {
        var offset = 0
        while offset < payload.count {
            let end = min(offset + slice, payload.count)
            try file.write(payload[offset..<end], at: start + offset)
            file.writeBack(offset: start + offset, count: end - offset, waiting: false)
            if offset >= slice { file.writeBack(offset: start + offset - slice, count: slice, waiting: true) }
            offset = end
        }
    }

    static func list(_ directory: JournalDirectory) throws(JournalError) -> [(name: String, sequence: UInt64)] {
        // Checkpoints are looked for before recovery creates the directory of a new journal.
        guard directory.fileSystem.exists(directory.path) else { return [] }
        let names: [String]
        do { names = try directory.fileSystem.list(directory.path) } catch { throw .io(error) }
        return names.compactMap { name in sequence(fileName: name).map { (name, $0) } }.sorted {
            $0.sequence < $1.sequence
        }
    }

    /// Temporary files of checkpoints whose writing a crash interrupted.
    static func temporaries(_ directory: JournalDirectory) throws(JournalError) -> [String] {
        let names: [String]
        do { names = try directory.fileSystem.list(directory.path) } catch { throw .io(error) }
        return names.filter {
            $0.hasSuffix(temporarySuffix) && sequence(fileName: String($0.dropLast(temporarySuffix.count))) != nil
        }
    }

    public struct Loaded: Sendable {
        public var sequence: UInt64
        public var payload: [UInt8]
        /// Newer checkpoints that were damaged and passed over.
        public var skipped: [JournalDirectory.Problem]
    }

    /// The newest intact checkpoint, if any.
    public static func latest(in directory: JournalDirectory) throws(JournalError) -> Loaded? {
        var skipped: [JournalDirectory.Problem] = []
        for (name, covered) in try list(directory).reversed() {
            let path = directory.file(name)
            let bytes: [UInt8]
            do { bytes = try directory.fileSystem.contents(of: path, mapped: false).copy } catch { throw .io(error) }
            if let problem = check(bytes, covering: covered) {
                skipped.append(JournalDirectory.Problem(file: path, offset: 0, reason: problem))
                continue
            }
            return Loaded(sequence: covered, payload: Array(bytes[headerSize...]), skipped: skipped)
        }
        return skipped.isEmpty ? nil : Loaded(sequence: 0, payload: [], skipped: skipped)
    }

    static func check(_ bytes: [UInt8], covering covered: UInt64) -> String? {
        guard bytes.count >= headerSize, Array(bytes[0..<8]) == magic else { return "not a taskhook checkpoint" }
        return bytes.withUnsafeBytes { raw -> String? in
            let sequence = RecordFrame.load(UInt64.self, raw, 8)
            let crc = RecordFrame.load(UInt32.self, raw, 16)
            let length = Int(RecordFrame.load(UInt32.self, raw, 20))
            guard sequence == covered else { return "covers \(sequence), but its name says \(covered)" }
            guard length == raw.count - headerSize else {
                return "payload is \(raw.count - headerSize) bytes, \(length) expected"
            }
            guard CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[headerSize...])) == crc else {
                return "checksum mismatch"
            }
            return nil
        }
    }
}

/// Which segments retention may delete: whole segments, never the one being appended to,
/// only when a checkpoint covers all their records and their last write is older than `age`.
public enum Retention {
    public struct SegmentInfo: Sendable, Equatable {
        public var name: String
        public var firstSequence: UInt64
        /// Seconds since the epoch of its last write.
        public var modified: Int64
        public init(name: String, firstSequence: UInt64, modified: Int64) {
            self.name = name
            self.firstSequence = firstSequence
            self.modified = modified
        }
    }

    public static func removable(
        _ segments: [SegmentInfo], checkpoint: UInt64, now: Int64, age: Int64
    ) -> [String] {
        var names: [String] = []
        for (segment, next) in zip(segments, segments.dropFirst()) {
            let lastSequence = next.firstSequence - 1
            guard lastSequence <= checkpoint else { break }
            if segment.modified + age <= now { names.append(segment.name) } else { break }
        }
        return names
    }
}
