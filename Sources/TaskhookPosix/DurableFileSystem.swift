import Glibc
import SystemPackage

/// The file operations the journal and its checkpoints are written through. `PosixFileSystem`
/// is the real one; tests put a simulated disk in its place that fails syncs, writes and
/// renames on demand, tears writes and loses unsynced pages in any order at a power loss.
public protocol DurableFileSystem: Sendable {
    /// The names in a directory (no "." or ".."), unsorted.
    func list(_ directory: String) throws(SyscallError) -> [String]
    /// mkdir -p (mode 0700 for what it creates).
    func createDirectories(_ path: String) throws(SyscallError)
    func exists(_ path: String) -> Bool
    func remove(_ path: String) throws(SyscallError)
    func rename(_ from: String, to: String) throws(SyscallError)
    /// fsync of a directory: the names created, renamed or removed in it survive a crash.
    func syncDirectory(_ path: String) throws(SyscallError)
    /// Last modification time, seconds since the epoch.
    func modificationTime(_ path: String) throws(SyscallError) -> Int64
    /// A file's whole contents; `mapped` lets the real file system map it rather than copy it.
    func contents(of path: String, mapped: Bool) throws(SyscallError) -> FileContents
    /// Creates a new file for writing, failing if the name exists.
    func create(_ path: String) throws(SyscallError) -> any DurableFile
    /// Opens an existing file for writing at explicit offsets.
    func openForWriting(_ path: String) throws(SyscallError) -> any DurableFile
}

/// A file open for writing at explicit offsets.
public protocol DurableFile: AnyObject {
    var path: String { get }
    func size() throws(SyscallError) -> Int
    /// Writes every byte at `offset` (pwrite, short writes retried).
    func write(_ bytes: ArraySlice<UInt8>, at offset: Int) throws(SyscallError)
    /// fdatasync(2).
    func syncData() throws(SyscallError)
    /// fsync(2).
    func sync() throws(SyscallError)
    func truncate(to size: Int) throws(SyscallError)
    /// Advice that these synced bytes are not read again soon; may do nothing.
    func dropCachedPages(offset: Int, count: Int)
    /// Starts writing these bytes to the disk, and with `waiting` waits for them: not a sync
    /// (see `File.writeBack`); may do nothing.
    func writeBack(offset: Int, count: Int, waiting: Bool)
    func close()
}

extension DurableFile {
    public func write(_ bytes: [UInt8], at offset: Int) throws(SyscallError) { try write(bytes[...], at: offset) }
}

/// A whole file read into memory or mapped.
public enum FileContents: Sendable {
    /// A copy: safe while another process may truncate the file (the offline check).
    case copied([UInt8])
    /// A read-only mapping: no copy, for the daemon's own replay.
    case mapped(MappedFile)

    public var count: Int {
        switch self {
        case .copied(let bytes): bytes.count
        case .mapped(let file): file.count
        }
    }

    /// Runs `body` with the bytes, valid only inside it: a mapping's are read in place.
    public func withBytes<T, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> T) throws(E) -> T {
        switch self {
        case .copied(let bytes):
            let result = bytes.withUnsafeBytes { raw in Result { () throws(E) -> T in try body(raw) } }
            return try result.get()
        case .mapped(let file): return try body(file.bytes)
        }
    }

    /// The bytes as an array (a copy of a mapping).
    public var copy: [UInt8] {
        switch self {
        case .copied(let bytes): bytes
        case .mapped(let file): Array(file.bytes)
        }
    }
}

extension File: DurableFile {}

/// The real file system: system calls on the paths given.
public struct PosixFileSystem: DurableFileSystem {
    public init() {}

    public func list(_ directory: String) throws(SyscallError) -> [String] { try FileSystem.list(directory) }
    public func createDirectories(_ path: String) throws(SyscallError) { try FileSystem.createDirectories(path) }
    public func exists(_ path: String) -> Bool { FileSystem.exists(path) }
    public func remove(_ path: String) throws(SyscallError) { try FileSystem.remove(path) }
    public func rename(_ from: String, to: String) throws(SyscallError) { try FileSystem.rename(from, to: to) }
    public func syncDirectory(_ path: String) throws(SyscallError) { try FileSystem.syncDirectory(path) }
    public func modificationTime(_ path: String) throws(SyscallError) -> Int64 {
        try FileSystem.modificationTime(path)
    }

    public func contents(of path: String, mapped: Bool) throws(SyscallError) -> FileContents {
        if mapped { return .mapped(try MappedFile(path: path)) }
        let file = try File.openForReading(path)
        defer { file.close() }
        return .copied(try file.read(count: try file.size(), at: 0))
    }

    public func create(_ path: String) throws(SyscallError) -> any DurableFile { try File.create(path) }
    public func openForWriting(_ path: String) throws(SyscallError) -> any DurableFile {
        try File.openForWriting(path, create: false)
    }
}
