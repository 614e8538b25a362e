import TaskhookPosix

/// Why the journal cannot be opened, read or appended to. Each names the file and, for
/// damage, the byte offset, so an operator can look.
public enum JournalError: Error, Equatable, CustomStringConvertible {
    /// Damage that recovery must not paper over: valid records follow it, or it is not in the
    /// last segment.
    case corrupt(file: String, offset: Int, reason: String)
    /// A system call failed (ENOSPC, EIO, EACCES, …).
    case io(SyscallError)
    /// The files do not fit together (a gap in sequences, a checkpoint beyond the records).
    case inconsistent(String)
    /// The writer was shut down.
    case closed

    public var description: String {
        switch self {
        case .corrupt(let file, let offset, let reason): "journal damaged: \(file) at byte \(offset): \(reason)"
        case .io(let error): "journal I/O failed: \(error)"
        case .inconsistent(let reason): "journal inconsistent: \(reason)"
        case .closed: "journal is closed"
        }
    }
}
