import Glibc
import SystemPackage

/// An exclusive flock(2) on a file, held while the value lives: one process at a time owns
/// what the file guards (a state directory). The kernel drops it when the process dies, so a
/// crash leaves no stale lock behind.
public final class FileLock {
    public let path: String
    private let descriptor: Descriptor

    /// Takes the lock, creating the file (mode 0640) if needed; nil when another process holds it.
    public init?(path: String) throws(SyscallError) {
        let fd = try syscall("open(\(path))") { open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o640) }
        let descriptor = Descriptor(owning: fd)
        do {
            _ = try syscall("flock(\(path))") { flock(fd, LOCK_EX | LOCK_NB) }
        } catch  where error.errno == .wouldBlock {
            return nil
        }
        self.path = path
        self.descriptor = descriptor
    }

    deinit { descriptor.close() }
}
