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

    /// Unlocks before closing: a flock belongs to the open file description, which a child
    /// forked meanwhile shares until its exec closes it (O_CLOEXEC), so a close alone could leave
    /// the lock held for that while and refuse the next owner in this process. LOCK_UN releases
    /// it for every descriptor that shares it.
    deinit {
        _ = flock(descriptor.rawValue, LOCK_UN)
        descriptor.close()
    }
}
