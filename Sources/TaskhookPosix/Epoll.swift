import CLinux

/// Readiness an fd is watched for, or was reported with.
public struct IOEvents: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let readable = IOEvents(rawValue: CLINUX_EPOLLIN)
    public static let writable = IOEvents(rawValue: CLINUX_EPOLLOUT)
    /// The peer shut down its sending side (EPOLLRDHUP); watched for with `.readable`.
    public static let readHangup = IOEvents(rawValue: CLINUX_EPOLLRDHUP)
    public static let hangup = IOEvents(rawValue: CLINUX_EPOLLHUP)
    public static let error = IOEvents(rawValue: CLINUX_EPOLLERR)
}

/// A level-triggered epoll instance. Each registration carries a caller-chosen 64-bit token.
public final class Epoll {
    public let descriptor: Descriptor
    private var readyEvents = [UInt32](repeating: 0, count: 256)
    private var readyTokens = [UInt64](repeating: 0, count: 256)

    public init() throws(SyscallError) {
        descriptor = Descriptor(owning: try syscall("epoll_create1") { clinux_epoll_create() })
    }

    public func add(_ fd: Int32, events: IOEvents, token: UInt64) throws(SyscallError) {
        try control(CLINUX_EPOLL_CTL_ADD, fd, events, token)
    }

    public func modify(_ fd: Int32, events: IOEvents, token: UInt64) throws(SyscallError) {
        try control(CLINUX_EPOLL_CTL_MOD, fd, events, token)
    }

    public func remove(_ fd: Int32) throws(SyscallError) {
        try control(CLINUX_EPOLL_CTL_DEL, fd, [], 0)
    }

    private func control(_ op: Int32, _ fd: Int32, _ events: IOEvents, _ token: UInt64) throws(SyscallError) {
        let epfd = descriptor.rawValue
        // A peer's half-close is worth hearing only while reading: the loop is level-triggered,
        // so a hang-up asked for while nothing reads the socket would wake it without end.
        let mask = (events.contains(.readable) ? events.union(.readHangup) : events).rawValue
        _ = try syscall("epoll_ctl") { clinux_epoll_ctl(epfd, op, fd, mask, token) }
    }

    /// Waits up to `timeoutMilliseconds` (-1: forever) and calls `body` for each ready registration.
    public func wait(
        timeoutMilliseconds: Int32, _ body: (UInt64, IOEvents) -> Void
    ) throws(SyscallError) {
        let epfd = descriptor.rawValue
        let count = try readyEvents.withUnsafeMutableBufferPointer { events throws(SyscallError) in
            try readyTokens.withUnsafeMutableBufferPointer { tokens throws(SyscallError) in
                try syscall("epoll_wait") {
                    clinux_epoll_wait(
                        epfd, events.baseAddress, tokens.baseAddress, Int32(events.count), timeoutMilliseconds)
                }
            }
        }
        for i in 0..<Int(count) {
            body(readyTokens[i], IOEvents(rawValue: readyEvents[i]))
        }
    }
}
