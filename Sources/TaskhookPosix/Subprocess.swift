import CLinux
import Glibc
import SystemPackage

/// A child process started with posix_spawn from an argument vector and an environment, never
/// through a shell. Its standard input may be a pipe this process writes, its standard output
/// and error one pipe this process reads (both ends here non-blocking); otherwise /dev/null, or
/// this process's own output. The child starts with no signal blocked and every signal at its
/// default, whatever this process blocks for its signalfd.
public final class Subprocess {
    /// How a child ended.
    public enum Termination: Sendable, Equatable, CustomStringConvertible {
        case exited(Int32)
        case signaled(Int32)

        /// As a shell reports it: the exit status, or 128 plus the signal.
        public var shellStatus: Int32 {
            switch self {
            case .exited(let status): status
            case .signaled(let signal): 128 + signal
            }
        }

        public var description: String {
            switch self {
            case .exited(let status): "exit status \(status)"
            case .signaled(let signal): "killed by signal \(signal) (\(String(cString: strsignal(signal))))"
            }
        }
    }

    /// Where the child's standard output and error go.
    public enum Output: Sendable {
        /// One pipe for both, read with `readOutput`.
        case captured
        /// This process's own standard output and error.
        case inherited
        /// Each to a file, created or truncated (mode 0600).
        case files(standardOutput: String, standardError: String)
    }

    public let pid: pid_t
    /// Whether it leads a process group of its own (signals then reach what it started too).
    public let ownProcessGroup: Bool
    /// The write end of its standard input; nil once closed, or when it reads /dev/null.
    public private(set) var input: Descriptor?
    /// The read end of its standard output and error, when captured.
    public let output: Descriptor?
    public private(set) var termination: Termination?

    private init(pid: pid_t, ownProcessGroup: Bool, input: Descriptor?, output: Descriptor?) {
        self.pid = pid
        self.ownProcessGroup = ownProcessGroup
        self.input = input
        self.output = output
    }

    /// Starts `arguments[0]` (a path, or a name looked up on this process's PATH) with
    /// `arguments` as its argument vector and `environment` (`NAME=value` each) as its whole
    /// environment. `input`: give it a pipe for standard input (else /dev/null).
    public static func spawn(
        _ arguments: [String], environment: [String], input: Bool, output: Output, ownProcessGroup: Bool
    ) throws(SyscallError) -> Subprocess {
        precondition(!arguments.isEmpty, "a command needs at least its program")
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var inputPipe: (read: Descriptor, write: Descriptor)?
        var outputPipe: (read: Descriptor, write: Descriptor)?
        if input {
            let pipe = try makePipe()
            posix_spawn_file_actions_adddup2(&actions, pipe.read.rawValue, 0)
            inputPipe = pipe
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        switch output {
        case .captured:
            let pipe = try makePipe()
            posix_spawn_file_actions_adddup2(&actions, pipe.write.rawValue, 1)
            posix_spawn_file_actions_adddup2(&actions, pipe.write.rawValue, 2)
            outputPipe = pipe
        case .inherited: break
        case .files(let standardOutput, let standardError):
            posix_spawn_file_actions_addopen(&actions, 1, standardOutput, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
            posix_spawn_file_actions_addopen(&actions, 2, standardError, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigdefault(&attributes, &all)
        var flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF
        if ownProcessGroup {
            posix_spawnattr_setpgroup(&attributes, 0)
            flags |= POSIX_SPAWN_SETPGROUP
        }
        posix_spawnattr_setflags(&attributes, Int16(flags))
        var child: pid_t = 0
        let status = withCStrings(arguments) { argv in
            withCStrings(environment) { envp in posix_spawnp(&child, arguments[0], &actions, &attributes, argv, envp) }
        }
        guard status == 0 else { throw SyscallError("posix_spawn(\(arguments[0]))", Errno(rawValue: status)) }
        // The child has its copies; these ends are its, not this process's.
        inputPipe?.read.close()
        outputPipe?.write.close()
        if let write = inputPipe?.write { setNonBlocking(write) }
        if let read = outputPipe?.read { setNonBlocking(read) }
        return Subprocess(
            pid: child, ownProcessGroup: ownProcessGroup, input: inputPipe?.write, output: outputPipe?.read)
    }

    private static func makePipe() throws(SyscallError) -> (read: Descriptor, write: Descriptor) {
        var fds: [Int32] = [-1, -1]
        _ = try syscall("pipe2") { clinux_pipe(&fds, 0) }
        return (Descriptor(owning: fds[0]), Descriptor(owning: fds[1]))
    }

    private static func setNonBlocking(_ descriptor: Descriptor) {
        let fd = descriptor.rawValue
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
    }

    private static func withCStrings<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
        let pointers = strings.map { strdup($0) } + [nil]
        defer { for pointer in pointers { free(pointer) } }
        return body(pointers)
    }

    /// Writes what the pipe takes now of `bytes`; `.done(n)` how many. A child that closed its
    /// standard input (EPIPE) throws; SIGPIPE must be ignored (`SignalFD.ignoreSIGPIPE`).
    public func writeInput(_ bytes: ArraySlice<UInt8>) throws(SyscallError) -> IOResult<Int> {
        guard let fd = input?.rawValue else { return .done(0) }
        let pid = self.pid
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(SyscallError) in
                try nonBlockingSyscall("write(stdin of \(pid))") { Glibc.write(fd, raw.baseAddress, raw.count) }
            }
        }
        return try result.get()
    }

    /// No more standard input: the child reads end of file.
    public func closeInput() {
        input?.close()
        input = nil
    }

    /// Reads what has arrived of its output; `.done(0)` at the end (every writer closed it).
    public func readOutput(into buffer: UnsafeMutableRawBufferPointer) throws(SyscallError) -> IOResult<Int> {
        guard let fd = output?.rawValue else { return .done(0) }
        return try nonBlockingSyscall("read(output of \(pid))") { Glibc.read(fd, buffer.baseAddress, buffer.count) }
    }

    /// Sends `signal` to it, and to its process group when it leads one; nothing once reaped
    /// (its pid may belong to another process by then).
    public func signal(_ signal: Int32) {
        guard termination == nil else { return }
        _ = kill(ownProcessGroup ? -pid : pid, signal)
    }

    /// SIGKILL to what is left of its process group after it exited: the children it left
    /// behind. Nothing when it had no group of its own.
    public func killLeftovers() {
        guard ownProcessGroup else { return }
        _ = kill(-pid, SIGKILL)
    }

    /// Reaps it if it has ended; `block` waits for that.
    @discardableResult
    public func reap(block: Bool) -> Termination? {
        if let termination { return termination }
        var status: Int32 = 0
        while true {
            let result = waitpid(pid, &status, block ? 0 : WNOHANG)
            if result == -1 && errno == EINTR { continue }
            guard result == pid else { return nil }
            break
        }
        let signal = status & 0x7f
        termination = signal == 0 ? .exited((status >> 8) & 0xff) : .signaled(signal)
        return termination
    }
}

/// poll(2) over several descriptors at once.
public enum Readiness {
    /// For each of `items`, the events that are ready (POLLHUP and POLLERR included whatever was
    /// asked); all zero when `timeoutMilliseconds` ran out (-1: wait for ever).
    public static func wait(_ items: [(descriptor: Int32, events: Int16)], timeoutMilliseconds: Int32)
        throws(SyscallError) -> [Int16]
    {
        var fds = items.map { pollfd(fd: $0.descriptor, events: $0.events, revents: 0) }
        _ = try syscall("poll") { poll(&fds, nfds_t(fds.count), timeoutMilliseconds) }
        return fds.map(\.revents)
    }
}
