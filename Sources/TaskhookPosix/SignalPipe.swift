import CLinux
import Glibc
import SystemPackage

/// The handler's end of the pipe; written only by `SignalPipe.init`, before any handler is set.
nonisolated(unsafe) private var signalPipeWriteEnd: Int32 = -1

/// Signals as bytes on a pipe (the self-pipe trick), to wait for with poll beside other
/// descriptors. Unlike a signalfd, which needs the signals blocked in every thread, it works in a
/// process whose threads were started before it (the Swift runtime's, a command line's): the
/// handler, on whichever thread the signal lands, writes the signal's number to the pipe.
/// Handlers are installed with BSD semantics (SA_RESTART); children started with
/// `Subprocess` get every signal back at its default.
public final class SignalPipe {
    private let readEnd: Descriptor
    private let writeEnd: Descriptor

    /// One per process: installs the handlers for `signals`.
    public init(_ signals: [Int32]) throws(SyscallError) {
        precondition(signalPipeWriteEnd == -1, "one SignalPipe per process")
        var fds: [Int32] = [-1, -1]
        _ = try syscall("pipe2") { clinux_pipe(&fds, 1) }
        readEnd = Descriptor(owning: fds[0])
        writeEnd = Descriptor(owning: fds[1])
        signalPipeWriteEnd = fds[1]
        for number in signals {
            _ = Glibc.signal(number) { received in
                let saved = errno
                var byte = UInt8(truncatingIfNeeded: received)
                _ = write(signalPipeWriteEnd, &byte, 1)
                errno = saved
            }
        }
    }

    /// The descriptor that becomes readable when a signal arrived.
    public var descriptor: Int32 { readEnd.rawValue }

    /// The signals that arrived since the last call, in order.
    public func take() -> [Int32] {
        var buffer = [UInt8](repeating: 0, count: 64)
        var received: [Int32] = []
        while true {
            let count = buffer.withUnsafeMutableBytes { read(readEnd.rawValue, $0.baseAddress, $0.count) }
            guard count > 0 else { return received }
            received += buffer[..<count].map { Int32($0) }
        }
    }
}
