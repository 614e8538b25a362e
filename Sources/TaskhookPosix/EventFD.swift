import CLinux

#if canImport(Glibc)
    import Glibc
#endif

/// An eventfd: any thread may `signal()` it to wake the event loop.
public final class EventFD: @unchecked Sendable {
    // @unchecked: the fd number never changes after init; write(2)/read(2) on it are thread-safe.
    private let fd: Int32

    public init() throws(SyscallError) {
        fd = try syscall("eventfd") { clinux_eventfd() }
    }

    public var rawValue: Int32 { fd }

    /// Adds one to the counter. Safe from any thread.
    public func signal() {
        var one: UInt64 = 1
        _ = try? syscall("write(eventfd)") { Glibc.write(fd, &one, 8) }
    }

    /// Resets the counter; returns how many signals were pending.
    @discardableResult
    public func drain() -> UInt64 {
        var value: UInt64 = 0
        let result = try? nonBlockingSyscall("read(eventfd)") { Glibc.read(fd, &value, 8) }
        if case .done = result { return value }
        return 0
    }

    deinit { _ = Glibc.close(fd) }
}
