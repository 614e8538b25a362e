import Glibc
import SystemPackage

/// A whole file mapped read-only. Reading it costs no copy and no zeroed buffer; the mapping
/// must not outlive a truncation by another process (reads past the new end fault), so it is
/// for files nobody else is changing.
// @unchecked: the mapping is read-only and both fields are constants, so any thread may read it.
public final class MappedFile: @unchecked Sendable {
    private let base: UnsafeMutableRawPointer?
    public let count: Int

    public init(path: String) throws(SyscallError) {
        let fd = try syscall("open(\(path))") { open(path, O_RDONLY | O_CLOEXEC) }
        defer { _ = close(fd) }
        var st = stat()
        _ = try syscall("fstat(\(path))") { fstat(fd, &st) }
        count = Int(st.st_size)
        guard count > 0 else {
            base = nil
            return
        }
        let address = mmap(nil, count, PROT_READ, MAP_PRIVATE, fd, 0)
        guard let address, address != MAP_FAILED else { throw SyscallError("mmap(\(path))", Errno(rawValue: errno)) }
        // The whole file is read front to back once.
        _ = madvise(address, count, MADV_SEQUENTIAL)
        base = address
    }

    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    deinit {
        if let base { munmap(base, count) }
    }
}
