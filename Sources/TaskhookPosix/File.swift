import CLinux
import Glibc
import SystemPackage

/// A regular file opened for the journal and checkpoints. Every call names the path in its
/// error, so an operator reading the log knows which file failed.
public final class File {
    public let path: String
    public let descriptor: Descriptor

    private init(path: String, descriptor: Descriptor) {
        self.path = path
        self.descriptor = descriptor
    }

    /// Opens for reading only.
    public static func openForReading(_ path: String) throws(SyscallError) -> File {
        let fd = try syscall("open(\(path))") { open(path, O_RDONLY | O_CLOEXEC) }
        return File(path: path, descriptor: Descriptor(owning: fd))
    }

    /// Opens for writing at explicit offsets (pwrite), creating it (with `mode`, less the umask)
    /// if `create`.
    public static func openForWriting(_ path: String, create: Bool, mode: mode_t = 0o600) throws(SyscallError)
        -> File
    {
        let flags = O_WRONLY | O_CLOEXEC | (create ? O_CREAT : 0)
        let fd = try syscall("open(\(path))") { open(path, flags, mode) }
        return File(path: path, descriptor: Descriptor(owning: fd))
    }

    /// Creates a new file, failing if it exists.
    public static func create(_ path: String) throws(SyscallError) -> File {
        let fd = try syscall("open(\(path))") { open(path, O_WRONLY | O_CLOEXEC | O_CREAT | O_EXCL, 0o600) }
        return File(path: path, descriptor: Descriptor(owning: fd))
    }

    public func size() throws(SyscallError) -> Int {
        var st = stat()
        let fd = descriptor.rawValue
        _ = try syscall("fstat(\(path))") { fstat(fd, &st) }
        return Int(st.st_size)
    }

    /// Writes every byte at `offset`, retrying short writes.
    public func write(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws(SyscallError) {
        let fd = descriptor.rawValue
        var done = 0
        while done < bytes.count {
            let n = try syscall("pwrite(\(path))") {
                pwrite(fd, bytes.baseAddress! + done, bytes.count - done, off_t(offset + done))
            }
            done += n
        }
    }

    public func write(_ bytes: ArraySlice<UInt8>, at offset: Int) throws(SyscallError) {
        let result = bytes.withUnsafeBytes { raw in Result { () throws(SyscallError) in try write(raw, at: offset) } }
        try result.get()
    }

    /// Reads up to `count` bytes at `offset`; fewer only at end of file.
    public func read(count: Int, at offset: Int) throws(SyscallError) -> [UInt8] {
        guard count > 0 else { return [] }
        let fd = descriptor.rawValue
        let path = self.path
        var failure: SyscallError?
        // Uninitialized: a journal segment is 64 MiB, and zeroing it first would write every
        // page once more before pread fills it.
        let buffer = [UInt8](unsafeUninitializedCapacity: count) { raw, initialized in
            var done = 0
            while done < count {
                do throws(SyscallError) {
                    let n = try syscall("pread(\(path))") {
                        pread(fd, raw.baseAddress! + done, count - done, off_t(offset + done))
                    }
                    if n == 0 { break }
                    done += n
                } catch {
                    failure = error
                    break
                }
            }
            initialized = done
        }
        if let failure { throw failure }
        return buffer
    }

    /// fdatasync(2): the data and what is needed to read it back are on disk.
    public func syncData() throws(SyscallError) {
        let fd = descriptor.rawValue
        _ = try syscall("fdatasync(\(path))") { fdatasync(fd) }
    }

    /// fsync(2), metadata included.
    public func sync() throws(SyscallError) {
        let fd = descriptor.rawValue
        _ = try syscall("fsync(\(path))") { fsync(fd) }
    }

    /// posix_fadvise(POSIX_FADV_DONTNEED): the page cache may drop these bytes' pages. For data
    /// already synced and not read again soon (a journal's past), so it does not crowd out the
    /// cache; dirty pages are not dropped. Advice only: a failure changes nothing and is ignored.
    public func dropCachedPages(offset: Int, count: Int) {
        guard count > 0 else { return }
        _ = posix_fadvise(descriptor.rawValue, off_t(offset), off_t(count), POSIX_FADV_DONTNEED)
    }

    /// sync_file_range(2): starts writing these bytes to the disk, and with `waiting` waits until
    /// they are written. It makes nothing durable (no metadata, no disk cache flush: `sync()`
    /// does); it keeps a large file's dirty pages few, so that its final sync does not queue
    /// hundreds of megabytes ahead of the journal's own fdatasync. Advice only: a failure
    /// changes nothing and is ignored.
    public func writeBack(offset: Int, count: Int, waiting: Bool) {
        guard count > 0 else { return }
        _ = clinux_write_back(descriptor.rawValue, Int64(offset), Int64(count), waiting ? 1 : 0)
    }

    public func truncate(to size: Int) throws(SyscallError) {
        let fd = descriptor.rawValue
        _ = try syscall("ftruncate(\(path))") { ftruncate(fd, off_t(size)) }
    }

    public func close() { descriptor.close() }
}

/// Directory and path operations.
public enum FileSystem {
    /// The names in a directory (no "." or ".."), unsorted.
    public static func list(_ directory: String) throws(SyscallError) -> [String] {
        guard let dir = opendir(directory) else { throw SyscallError("opendir(\(directory))", Errno(rawValue: errno)) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// mkdir -p, with `mode` for the directories it creates.
    public static func createDirectories(_ path: String, mode: mode_t = 0o700) throws(SyscallError) {
        var current = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            current += "/" + part
            if mkdir(current, mode) != 0, errno != EEXIST {
                throw SyscallError("mkdir(\(current))", Errno(rawValue: errno))
            }
        }
    }

    /// chmod(2): sets a path's permission bits.
    public static func setMode(_ path: String, _ mode: UInt32) throws(SyscallError) {
        _ = try syscall("chmod(\(path))") { chmod(path, mode_t(mode)) }
    }

    /// Whether this process may write to `path` (access(2) with W_OK).
    public static func isWritable(_ path: String) -> Bool { access(path, W_OK) == 0 }

    /// Whether `path` is a regular file this process may execute.
    public static func isExecutable(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG && access(path, X_OK) == 0
    }

    /// fsync of a directory, so a file created, renamed or removed in it survives a crash.
    public static func syncDirectory(_ path: String) throws(SyscallError) {
        let fd = try syscall("open(\(path))") { open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        defer { _ = Glibc.close(fd) }
        _ = try syscall("fsync(\(path))") { fsync(fd) }
    }

    public static func rename(_ from: String, to: String) throws(SyscallError) {
        _ = try syscall("rename(\(from), \(to))") { Glibc.rename(from, to) }
    }

    public static func remove(_ path: String) throws(SyscallError) {
        _ = try syscall("unlink(\(path))") { unlink(path) }
    }

    public static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    /// write(2) of every byte to a descriptor this process did not open (standard error),
    /// retrying short writes.
    public static func writeAll(_ bytes: UnsafeRawBufferPointer, to descriptor: Int32) throws(SyscallError) {
        var done = 0
        while done < bytes.count {
            done += try syscall("write") { Glibc.write(descriptor, bytes.baseAddress! + done, bytes.count - done) }
        }
    }

    /// Last modification time, in seconds since the epoch.
    public static func modificationTime(_ path: String) throws(SyscallError) -> Int64 {
        var st = stat()
        _ = try syscall("stat(\(path))") { stat(path, &st) }
        return Int64(st.st_mtim.tv_sec)
    }

    /// What identifies a file's current contents cheaply: inode, size and modification time.
    /// A rename-into-place (how keys are refreshed) changes the inode.
    public struct Identity: Equatable, Sendable {
        public var inode: UInt64
        public var size: Int64
        public var modifiedNanoseconds: Int64
    }

    public static func identity(_ path: String) throws(SyscallError) -> Identity {
        var st = stat()
        _ = try syscall("stat(\(path))") { stat(path, &st) }
        return Identity(
            inode: UInt64(st.st_ino), size: Int64(st.st_size),
            modifiedNanoseconds: Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec))
    }

    /// Writes `bytes` to `path` so that readers see the old file or the new one, never a mix:
    /// a temporary file beside it (created with `mode`, less the umask), synced, renamed over it,
    /// and the directory synced.
    public static func replaceAtomically(_ path: String, with bytes: [UInt8], mode: mode_t = 0o600)
        throws(SyscallError)
    {
        let temporary = path + ".tmp-\(getpid())"
        do {
            let file = try File.openForWriting(temporary, create: true, mode: mode)
            defer { file.close() }
            try file.truncate(to: 0)
            try file.write(bytes, at: 0)
            try file.sync()
            try rename(temporary, to: path)
        } catch {
            _ = unlink(temporary)
            throw error
        }
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { $0 == path.startIndex ? "/" : String(path[..<$0]) } ?? "."
        try syncDirectory(directory)
    }

    /// Raises the soft limit on open descriptors to the hard limit (every connection and
    /// every waiter is one); returns the limit now in force.
    @discardableResult
    public static func raiseDescriptorLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return -1 }
        if limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max
            _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
            _ = getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        }
        return Int(clamping: limit.rlim_cur)
    }

    /// Wall-clock time in milliseconds since the epoch.
    public static func wallClockMilliseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }
}
