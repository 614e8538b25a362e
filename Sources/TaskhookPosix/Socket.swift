import CLinux

#if canImport(Glibc)
    import Glibc
#endif

/// A listening stream socket (TCP or Unix), non-blocking and close-on-exec.
public final class ListeningSocket {
    public let descriptor: Descriptor
    /// The address actually bound (with the kernel's port when 0 was asked for).
    public let address: SocketAddress
    /// Whether `close` removes the Unix socket file: only for one this process bound. A socket
    /// systemd passed belongs to its .socket unit, which must find it there after a restart.
    private let ownsPath: Bool

    /// Adopts a listening socket this process was given (systemd socket activation).
    public init(adopting fd: Int32) throws(SyscallError) {
        let flags = try syscall("fcntl(F_GETFL)") { fcntl(fd, F_GETFL) }
        _ = try syscall("fcntl(F_SETFL)") { fcntl(fd, F_SETFL, flags | O_NONBLOCK) }
        _ = try syscall("fcntl(F_SETFD)") { fcntl(fd, F_SETFD, FD_CLOEXEC) }
        self.descriptor = Descriptor(owning: fd)
        self.address = try Self.localAddress(fd)
        self.ownsPath = false
    }

    /// Creates, binds and listens. A Unix socket path must be free or hold a stale socket
    /// nobody listens on (see `init(bindingUnix:mode:)`).
    public convenience init(binding address: SocketAddress, backlog: Int32 = 1024) throws(SyscallError) {
        if case .unix(let path) = address { try Self.refuseLiveOrForeign(path) }
        try self.init(binding: address, backlog: backlog) { _ throws(SyscallError) in }
    }

    /// `beforeBind` runs on the new socket's descriptor just before bind(2).
    init(
        binding address: SocketAddress, backlog: Int32, beforeBind: (Int32) throws(SyscallError) -> Void
    ) throws(SyscallError) {
        try address.checkFits("bind")
        let fd = try syscall("socket") { clinux_socket(address.family, Int32(SOCK_STREAM.rawValue)) }
        let descriptor = Descriptor(owning: fd)
        switch address {
        case .unix:
            try beforeBind(fd)
        case .ipv4, .ipv6:
            var one: Int32 = 1
            _ = try syscall("setsockopt(SO_REUSEADDR)") {
                setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
            }
            if case .ipv6 = address {
                _ = try syscall("setsockopt(IPV6_V6ONLY)") {
                    setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &one, socklen_t(MemoryLayout<Int32>.size))
                }
            }
        }
        _ = try syscall("bind(\(address))") { address.withSockaddr { bind(fd, $0, $1) } }
        _ = try syscall("listen(\(address))") { listen(fd, backlog) }
        self.descriptor = descriptor
        self.address = try Self.localAddress(fd)
        self.ownsPath = true
    }

    static func localAddress(_ fd: Int32) throws(SyscallError) -> SocketAddress {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = try syscall("getsockname") {
            withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
            }
        }
        guard let address = SocketAddress(storage: storage) else {
            throw SyscallError("getsockname", .addressFamilyNotSupported)
        }
        return address
    }

    /// Accepts one connection, non-blocking and close-on-exec. EMFILE/ENFILE are thrown so the
    /// caller can shed load; ECONNABORTED and friends are reported as `.wouldBlock`-like retries.
    public func accept() throws(SyscallError) -> IOResult<StreamSocket> {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let fd = descriptor.rawValue
        do throws(SyscallError) {
            let result = try nonBlockingSyscall("accept4") {
                withUnsafeMutablePointer(to: &storage) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { clinux_accept4(fd, $0, &length) }
                }
            }
            guard case .done(let client) = result else { return .wouldBlock }
            return .done(StreamSocket(descriptor: Descriptor(owning: client), peer: SocketAddress(storage: storage)))
        } catch  where error.errno == .connectionAbort || error.errno == .protocolError {
            // The peer gave up while queued; there is simply nothing to accept right now.
            return .wouldBlock
        }
    }

    public func close() {
        if ownsPath, case .unix(let path) = address, descriptor.isOpen { _ = unlink(path) }
        descriptor.close()
    }
}

/// A connected stream socket.
public final class StreamSocket {
    public let descriptor: Descriptor
    public let peer: SocketAddress?

    public init(descriptor: Descriptor, peer: SocketAddress?) {
        self.descriptor = descriptor
        self.peer = peer
    }

    /// Connects, blocking until connected (used by clients: the CLI and tests). With a
    /// `timeout`, gives up after it with ETIMEDOUT: an address that drops packets (or a Unix
    /// socket whose backlog stays full) would otherwise hold the caller for the kernel's SYN
    /// retries, minutes, or for ever.
    public static func connect(to address: SocketAddress, timeout: Duration? = nil) throws(SyscallError)
        -> StreamSocket
    {
        try address.checkFits("connect")
        let fd = try syscall("socket") {
            socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        }
        let descriptor = Descriptor(owning: fd)
        // SO_SNDTIMEO bounds a blocking connect(2) on TCP and Unix sockets alike (socket(7)); it
        // is cleared again afterwards, so writes block as before.
        if let timeout { setSendTimeout(fd, timeout) }
        do {
            _ = try syscall("connect(\(address))") { address.withSockaddr { Glibc.connect(fd, $0, $1) } }
        } catch  where timeout != nil && (error.errno == .nowInProgress || error.errno == .wouldBlock) {
            throw SyscallError("connect(\(address))", .timedOut)
        }
        if timeout != nil { setSendTimeout(fd, .zero) }
        return StreamSocket(descriptor: descriptor, peer: address)
    }

    private static func setSendTimeout(_ fd: Int32, _ timeout: Duration) {
        let (seconds, attoseconds) = timeout.components
        var value = timeval(tv_sec: Int(max(0, seconds)), tv_usec: Int(max(0, attoseconds) / 1_000_000_000_000))
        // A positive timeout must not round down to zero, which means "no timeout".
        if timeout > .zero && value.tv_sec == 0 && value.tv_usec == 0 { value.tv_usec = 1 }
        _ = setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &value, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Reads into `buffer`; `.done(0)` is end of stream.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(SyscallError) -> IOResult<Int> {
        let fd = descriptor.rawValue
        return try nonBlockingSyscall("read") { Glibc.read(fd, buffer.baseAddress, buffer.count) }
    }

    /// Writes as much of `bytes` as the kernel takes now. Never raises SIGPIPE.
    public func write(_ bytes: UnsafeRawBufferPointer) throws(SyscallError) -> IOResult<Int> {
        let fd = descriptor.rawValue
        return try nonBlockingSyscall("send") { send(fd, bytes.baseAddress, bytes.count, CLINUX_MSG_NOSIGNAL) }
    }

    /// Writes all of `bytes`, blocking (client side only).
    public func writeAll(_ bytes: [UInt8]) throws(SyscallError) {
        var offset = 0
        while offset < bytes.count {
            let attempt = bytes.withUnsafeBytes { raw in
                Result { () throws(SyscallError) in try write(UnsafeRawBufferPointer(rebasing: raw[offset...])) }
            }
            switch try attempt.get() {
            case .done(let n): offset += n
            case .wouldBlock: _ = try poll(events: Int16(POLLOUT), timeoutMilliseconds: -1)
            }
        }
    }

    /// Waits for readiness; returns false on timeout.
    public func poll(events: Int16, timeoutMilliseconds: Int32) throws(SyscallError) -> Bool {
        var pfd = pollfd(fd: descriptor.rawValue, events: events, revents: 0)
        return try syscall("poll") { Glibc.poll(&pfd, 1, timeoutMilliseconds) } > 0
    }

    /// Half-closes the sending side.
    public func shutdownWrite() {
        _ = Glibc.shutdown(descriptor.rawValue, Int32(SHUT_WR))
    }

    /// Makes the next close send RST instead of FIN (SO_LINGER 0): an abrupt reset.
    public func setResetOnClose() {
        var l = linger(l_onoff: 1, l_linger: 0)
        _ = setsockopt(descriptor.rawValue, SOL_SOCKET, SO_LINGER, &l, socklen_t(MemoryLayout<linger>.size))
    }

    /// Disables Nagle's algorithm (TCP only; harmless no-op elsewhere).
    public func setNoDelay() {
        var one: Int32 = 1
        _ = setsockopt(descriptor.rawValue, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    public func close() { descriptor.close() }
}
