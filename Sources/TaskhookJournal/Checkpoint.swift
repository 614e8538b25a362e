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

    /// Writes the checkpoint durably and removes the older ones. Returns its path.
    @discardableResult
    public static func write(_ payload: [UInt8], covering sequence: UInt64, in directory: JournalDirectory)
        throws(JournalError) -> String
    {
        let final = directory.file(fileName(covering: sequence))
        let temporary = final + ".tmp"
        do {
            if FileSystem.exists(temporary) { try FileSystem.remove(temporary) }
            let file = try File.create(temporary)
            defer { file.close() }
            // Header and payload apart: joining them would copy a payload of many megabytes.
            let header = header(payload, covering: sequence)
            try file.write(header, at: 0)
            try file.write(payload, at: header.count)
            try file.sync()
            // Read again only at the next start: its pages need not stay cached.
            file.dropCachedPages(offset: 0, count: header.count + payload.count)
            try FileSystem.rename(temporary, to: final)
            try FileSystem.syncDirectory(directory.path)
        } catch {
            if FileSystem.exists(temporary) { try? FileSystem.remove(temporary) }
            throw .io(error)
        }
        for (name, covered) in try list(directory) where covered < sequence {
            try? FileSystem.remove(directory.file(name))
        }
        return final
    }

    static func list(_ directory: JournalDirectory) throws(JournalError) -> [(name: String, sequence: UInt64)] {
        let names: [String]
        do { names = try FileSystem.list(directory.path) } catch { throw .io(error) }
        return names.compactMap { name in sequence(fileName: name).map { (name, $0) } }.sorted {
            $0.sequence < $1.sequence
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
            do {
                let file = try File.openForReading(path)
                defer { file.close() }
                bytes = try file.read(count: try file.size(), at: 0)
            } catch {
                throw .io(error)
            }
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
