import SystemPackage

/// A failed system call: which call, and the errno it set.
public struct SyscallError: Error, Equatable, CustomStringConvertible {
    public let call: String
    public let errno: Errno

    public init(_ call: String, _ errno: Errno) {
        self.call = call
        self.errno = errno
    }

    public var description: String { "\(call): \(errno)" }
}

/// The outcome of a non-blocking operation: done, or the kernel said EAGAIN.
public enum IOResult<Value> {
    case done(Value)
    case wouldBlock
}

extension IOResult: Equatable where Value: Equatable {}
