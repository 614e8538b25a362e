import TaskhookPosix

/// Why the ledger cannot be used.
public struct LedgerError: Error, Equatable, CustomStringConvertible {
    public let description: String

    public init(_ description: String) { self.description = description }
}

/// The ledger on disk: `ledger.jsonl` in the state directory, one record a line, each batch
/// appended with one write and one fdatasync before the runner acts on it. Only the last line
/// can be torn by a crash (every earlier one was synced before the next was written): it is
/// cut off when the runner opens the ledger. A damaged line before the end stops the start,
/// naming it. Opening rewrites the file compacted (temporary file, fsync, rename, directory
/// fsync), and so does the runner after every `compactEvery` records. Mode 0640: the state
/// directory's group (taskhook-clients under systemd) may read it with `taskhook actions list`.
public final class LedgerFile {
    public static let fileName = "ledger.jsonl"
    public static let lockName = "runner.lock"
    /// Final jobs at or before the cursor kept for `taskhook actions list`.
    public static let history = 500
    public static let compactEvery = 10_000

    public let path: String
    private let directory: String
    private var file: File
    private var size: Int
    private var appendedSinceCompaction = 0
    /// Held while the runner owns the directory.
    private let lock: FileLock

    private init(directory: String, path: String, file: File, size: Int, lock: FileLock) {
        self.directory = directory
        self.path = path
        self.file = file
        self.size = size
        self.lock = lock
    }

    /// Opens the ledger for the runner: takes the directory's lock (one runner at a time),
    /// reads, cuts off a torn last line, compacts.
    public static func open(directory: String) throws(LedgerError) -> (LedgerFile, ActionLedger) {
        do {
            try FileSystem.createDirectories(directory, mode: 0o750)
        } catch {
            throw LedgerError("cannot create the state directory: \(error)")
        }
        let lock: FileLock
        do {
            guard let taken = try FileLock(path: directory + "/" + lockName) else {
                throw LedgerError("another taskhook actions run uses \(directory) (it holds \(lockName))")
            }
            lock = taken
        } catch let error as LedgerError {
            throw error
        } catch {
            throw LedgerError("cannot lock \(directory): \(error)")
        }
        let path = directory + "/" + fileName
        let ledger = ActionLedger(try read(path: path))
        let compacted = ledger.compacted(history: history)
        let bytes = Self.lines(compacted)
        do {
            try FileSystem.replaceAtomically(path, with: bytes, mode: 0o640)
            let file = try File.openForWriting(path, create: false)
            return (LedgerFile(directory: directory, path: path, file: file, size: bytes.count, lock: lock), ledger)
        } catch {
            throw LedgerError("cannot write \(path): \(error)")
        }
    }

    /// The records in `path` (none if it does not exist). What follows the last good line and
    /// does not read as records (a line without its newline, or damaged lines at the very end) is
    /// a crash mid-append, or a runner writing it right now: it is left out. A damaged line with
    /// good ones after it is an error.
    public static func read(path: String) throws(LedgerError) -> [LedgerRecord] {
        guard FileSystem.exists(path) else { return [] }
        let bytes: [UInt8]
        do {
            bytes = try PosixFileSystem().contents(of: path, mapped: false).copy
        } catch {
            throw LedgerError("cannot read \(path): \(error)")
        }
        var records: [LedgerRecord] = []
        var damaged: Int?
        // The piece after the last newline is incomplete (or empty): never a record.
        for (index, line) in bytes.split(separator: 10, omittingEmptySubsequences: false).dropLast().enumerated() {
            guard let record = LedgerRecord.parse(Array(line)) else {
                damaged = damaged ?? index
                continue
            }
            if let damaged {
                throw LedgerError(
                    "\(path) line \(damaged + 1) is damaged; move the file aside to start afresh (actions of tasks past its cursor may then run again)"
                )
            }
            records.append(record)
        }
        return records
    }

    /// Appends `records` and syncs them; the runner acts on them only after this returns.
    public func append(_ records: [LedgerRecord]) throws(LedgerError) {
        guard !records.isEmpty else { return }
        let bytes = Self.lines(records)
        do {
            try file.write(bytes, at: size)
            try file.syncData()
        } catch {
            throw LedgerError("cannot append to \(path): \(error)")
        }
        size += bytes.count
        appendedSinceCompaction += records.count
    }

    /// Rewrites the file as `ledger` compacted, once enough has been appended since the last time.
    public func compactIfLong(_ ledger: ActionLedger) throws(LedgerError) {
        guard appendedSinceCompaction >= Self.compactEvery else { return }
        let bytes = Self.lines(ledger.compacted(history: Self.history))
        do {
            try FileSystem.replaceAtomically(path, with: bytes, mode: 0o640)
            file.close()
            file = try File.openForWriting(path, create: false)
        } catch {
            throw LedgerError("cannot compact \(path): \(error)")
        }
        size = bytes.count
        appendedSinceCompaction = 0
    }

    /// Records as the file holds them: one JSON object a line.
    static func lines(_ records: [LedgerRecord]) -> [UInt8] {
        var bytes: [UInt8] = []
        for record in records {
            bytes += record.json.text.utf8
            bytes.append(10)
        }
        return bytes
    }
}
