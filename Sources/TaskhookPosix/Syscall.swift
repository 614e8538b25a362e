import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// The one place that retries EINTR. `body` returns the call's raw result; -1 means failure with
/// `errno` set. EBADF and EFAULT are bugs in this process, not conditions to handle: they trap.
/// `name` is built only when the call fails (callers interpolate paths into it).
@inline(__always)
func syscall<T: BinaryInteger>(_ name: @autoclosure () -> String, _ body: () -> T) throws(SyscallError) -> T {
    while true {
        let result = body()
        if result != -1 { return result }
        let code = Errno(rawValue: Glibc.errno)
        switch code {
        case .interrupted: continue
        case .badFileDescriptor, .badAddress:
            preconditionFailure("\(name()): \(code) — a descriptor or pointer bug in taskhook")
        default: throw SyscallError(name(), code)
        }
    }
}

/// Like `syscall`, but EAGAIN/EWOULDBLOCK is an ordinary value, not an error.
@inline(__always)
func nonBlockingSyscall<T: BinaryInteger>(
    _ name: @autoclosure () -> String, _ body: () -> T
) throws(SyscallError) -> IOResult<T> {
    do throws(SyscallError) {
        return .done(try syscall(name(), body))
    } catch  where error.errno == .wouldBlock {  // EAGAIN is the same number on Linux
        return .wouldBlock
    }
}
