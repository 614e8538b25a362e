import CLinux

#if canImport(Glibc)
    import Glibc
#endif

/// Signals delivered as readable events: the listed signals are blocked in the calling thread
/// (do this before starting other threads, which inherit the mask) and read from an fd.
public final class SignalFD {
    public let descriptor: Descriptor

    public init(_ signals: [Int32]) throws(SyscallError) {
        let list = signals + [0]
        descriptor = Descriptor(
            owning: try syscall("signalfd") { list.withUnsafeBufferPointer { clinux_signalfd_block($0.baseAddress) } })
    }

    /// The next pending signal number, or nil when none is pending.
    public func next() throws(SyscallError) -> Int32? {
        let fd = descriptor.rawValue
        let signal = try syscall("read(signalfd)") { clinux_signalfd_read(fd) }
        return signal == 0 ? nil : signal
    }

    /// SIGPIPE would kill the process on a write to a reset socket; sends use MSG_NOSIGNAL too.
    public static func ignoreSIGPIPE() {
        _ = Glibc.signal(SIGPIPE, SIG_IGN)
    }
}
