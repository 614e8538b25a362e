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
        header(crc: CRC32C.checksum(payload), count: payload.count, covering: sequence) + payload
    }

    /// What precedes the payload in the file.
    static func header(crc: UInt32, count: Int, covering sequence: UInt64) -> [UInt8] {
        var out = magic
        withUnsafeBytes(of: sequence.littleEndian) { out.append(contentsOf: $0) }
        withUnsafeBytes(of: crc.littleEndian) { out.append(contentsOf: $0) }
        withUnsafeBytes(of: UInt32(count).littleEndian) { out.append(contentsOf: $0) }
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

    /// Writes `payload` as the checkpoint covering `sequence` (see `write(covering:in:slice:_:)`).
    @discardableResult
    public static func write(
        _ payload: [UInt8], covering sequence: UInt64, in directory: JournalDirectory, slice: Int = writeSlice
    ) throws(JournalError) -> Written {
        try write(covering: sequence, in: directory, slice: slice) { (sink: inout Sink) throws(SyscallError) in
            try sink.append(payload[...])
        }
    }

    /// Writes the checkpoint durably, its payload appended by `produce` a piece at a time to the
    /// file (no image of a whole table is ever held: a million tasks made two of 270 MB, the
    /// encoded one and the one read back, and freeing each stalled the loop's own allocations
    /// behind the address space's lock), proves it by reading it back, and removes the
    /// checkpoints older than the previous one. A checkpoint whose rename could not be made
    /// durable (the directory sync failed) is removed again: a later directory sync may report
    /// success without it reaching the disk. `slice`: the size of the slices written back one
    /// after the other (see `writeSlice`).
    @discardableResult
    public static func write(
        covering sequence: UInt64, in directory: JournalDirectory, slice: Int = writeSlice,
        _ produce: (inout Sink) throws(SyscallError) -> Void
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
            var sink = Sink(file, slice: max(1, slice))
            try produce(&sink)
            // The header last, once the payload's checksum and length are known.
            try file.write(header(crc: sink.crc, count: sink.count, covering: sequence), at: 0)
            try file.sync()
            // Read again only at the next start: its pages need not stay cached.
            file.dropCachedPages(offset: 0, count: headerSize + sink.count)
            try fileSystem.rename(temporary, to: final)
            renamed = true
            try fileSystem.syncDirectory(directory.path)
        } catch {
            try? fileSystem.remove(renamed ? final : temporary)
            if renamed { try? fileSystem.syncDirectory(directory.path) }
            throw .io(error)
        }
        let readBack: FileContents
        do { readBack = try fileSystem.contents(of: final, mapped: true) } catch { throw .io(error) }
        if let problem = readBack.withBytes({ check($0, covering: sequence) }) {
            throw .corrupt(file: final, offset: 0, reason: "read back after writing: \(problem)")
        }
        let previous = older.last?.sequence ?? 0
        for (name, covered) in older where covered < previous {
            try? fileSystem.remove(directory.file(name))
        }
        return Written(path: final, previous: previous)
    }

    /// Where a checkpoint's payload goes as it is produced: after the header's room in the
    /// file, checksummed on the way. A checkpoint is written a slice at a time, each handed to
    /// the disk once it is full and waited for once the next is: at most two slices are ever
    /// dirty. Written whole, a checkpoint of a million tasks left 200 MB of dirty pages for its
    /// sync, queued ahead of every journal fdatasync meanwhile, and callbacks' answers waited
    /// behind them.
    public struct Sink {
        private let file: any DurableFile
        private let slice: Int
        /// The payload's bytes so far, and their CRC-32C.
        private(set) var count = 0
        private(set) var crc: UInt32 = 0
        /// The payload bytes handed to the disk so far (whole slices).
        private var handed = 0

        init(_ file: any DurableFile, slice: Int) {
            self.file = file
            self.slice = slice
        }

        /// Writes `bytes` after what came before.
        public mutating func append(_ bytes: ArraySlice<UInt8>) throws(SyscallError) {
            var rest = bytes
            while !rest.isEmpty {
                // No write crosses a slice's end, so each slice is handed over once it is whole.
                let piece = rest.prefix(handed + slice - count)
                try file.write(piece, at: headerSize + count)
                crc = piece.withUnsafeBytes { CRC32C.checksum($0, continuing: crc) }
                count += piece.count
                rest = rest.dropFirst(piece.count)
                if count == handed + slice {
                    file.writeBack(offset: headerSize + handed, count: slice, waiting: false)
                    if handed >= slice {
                        file.writeBack(offset: headerSize + handed - slice, count: slice, waiting: true)
                    }
                    handed += slice
                }
            }
        }
    }

    static let temporarySuffix = ".tmp"

    /// The size of a checkpoint's slices handed to the disk one after the other (see `Sink`).
    public static let writeSlice = 8 << 20

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
        /// The whole file, mapped where the file system can: its payload is read in place, with
        /// no copy of hundreds of megabytes to free again.
        let contents: FileContents
        /// Newer checkpoints that were damaged and passed over.
        public var skipped: [JournalDirectory.Problem]

        /// Runs `body` with the payload's bytes, valid only inside it.
        public func withPayload<T, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> T) throws(E) -> T {
            try contents.withBytes { (raw: UnsafeRawBufferPointer) throws(E) -> T in
                try body(
                    raw.count > headerSize
                        ? UnsafeRawBufferPointer(rebasing: raw[headerSize...]) : .init(start: nil, count: 0))
            }
        }

        /// A copy of the payload.
        public var payload: [UInt8] { withPayload { Array($0) } }
    }

    /// The newest intact checkpoint, if any.
    public static func latest(in directory: JournalDirectory) throws(JournalError) -> Loaded? {
        var skipped: [JournalDirectory.Problem] = []
        for (name, covered) in try list(directory).reversed() {
            let path = directory.file(name)
            let contents: FileContents
            do { contents = try directory.fileSystem.contents(of: path, mapped: true) } catch { throw .io(error) }
            if let problem = contents.withBytes({ check($0, covering: covered) }) {
                skipped.append(JournalDirectory.Problem(file: path, offset: 0, reason: problem))
                continue
            }
            return Loaded(sequence: covered, contents: contents, skipped: skipped)
        }
        return skipped.isEmpty ? nil : Loaded(sequence: 0, contents: .copied([]), skipped: skipped)
    }

    static func check(_ raw: UnsafeRawBufferPointer, covering covered: UInt64) -> String? {
        guard raw.count >= headerSize, magic.elementsEqual(raw[0..<8]) else { return "not a taskhook checkpoint" }
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
