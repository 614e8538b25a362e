import TaskhookPosix

#if canImport(Glibc)
    import Glibc
#endif

/// An HTTP/1.1 server on an `EventLoop`: any number of TCP and Unix listeners, each with its
/// handler; a connection budget per listener name, so one listener's clients cannot shut out
/// another's; a bound on the memory request bodies hold; graceful drain.
public final class HTTPServer {
    public struct Configuration: Sendable, Equatable {
        public var limits = HTTPLimits()
        /// The connection budget of a listener added without one of its own.
        public var maxConnections = 4096
        /// Bytes all request bodies being read (and their requests being answered) may hold
        /// together; a body that would exceed it is refused with 503 before it is read. A body
        /// counts its Content-Length, a chunked one the largest body allowed.
        public var maxBufferedBodyBytes = 64 * 1024 * 1024
        public init() {}
    }

    private struct Listener {
        let socket: ListeningSocket
        let name: String
        let handler: HTTPHandler
        let budget: ConnectionBudget
        var registration: EventLoop.Registration?
    }

    let loop: EventLoop
    public let configuration: Configuration
    private var listeners: [Listener] = []
    private var connections: [Int: HTTPConnection] = [:]
    private var nextConnectionID = 0
    private var accepting = true
    private var drainCompletion: (() -> Void)?
    /// A spare descriptor released when accept(2) hits EMFILE, so the pending connection can be
    /// accepted and shed instead of spinning the loop on a listener that stays readable.
    private var reserve: Descriptor?
    private var dateText = HTTPDate()
    let readBuffer: UnsafeMutableRawBufferPointer
    /// One budget per listener name (listeners of one name share it).
    private var budgets: [String: ConnectionBudget] = [:]
    /// Bytes of `maxBufferedBodyBytes` held by requests now.
    public private(set) var bufferedBodyBytes = 0
    /// Idle connections closed to make room for new ones, since start.
    public private(set) var evictedConnections: UInt64 = 0

    /// Conditions worth logging that the server handled itself.
    private let onDiagnostic: (ServerDiagnostic) -> Void

    /// `onDiagnostic` hears of what the server handles by itself but an operator should know.
    public init(
        loop: EventLoop, configuration: Configuration, onDiagnostic: @escaping (ServerDiagnostic) -> Void = { _ in }
    ) {
        self.onDiagnostic = onDiagnostic
        self.loop = loop
        self.configuration = configuration
        self.readBuffer = .allocate(byteCount: 64 * 1024, alignment: 16)
        self.reserve = Self.openReserve()
    }

    deinit { readBuffer.deallocate() }

    public var connectionCount: Int { connections.count }

    /// Answers given since start, by status code (every listener; parse errors included).
    public private(set) var answers: [Int: UInt64] = [:]

    func count(_ statuses: [Int]) {
        for status in statuses { answers[status, default: 0] += 1 }
    }
    public var listenerAddresses: [SocketAddress] { listeners.map(\.socket.address) }

    /// The addresses of the listeners with this name.
    public func listenerAddresses(named name: String) -> [SocketAddress] {
        listeners.filter { $0.name == name }.map(\.socket.address)
    }

    /// Starts accepting on `socket`, handing its requests to `handler`. `maxConnections` is the
    /// budget of all listeners named `name` (the first one added sets it; default
    /// `configuration.maxConnections`). When it is spent, the connection idle longest is closed
    /// to make room; with none idle, the new one is answered 503.
    public func addListener(
        _ socket: ListeningSocket, name: String, handler: HTTPHandler, maxConnections: Int? = nil
    ) throws(SyscallError) {
        let budget =
            budgets[name]
            ?? ConnectionBudget(name: name, limit: max(1, maxConnections ?? configuration.maxConnections))
        budgets[name] = budget
        listeners.append(Listener(socket: socket, name: name, handler: handler, budget: budget, registration: nil))
        try watch(listeners.count - 1)
    }

    /// Open connections of the listeners named `name`.
    public func connectionCount(listener name: String) -> Int { budgets[name]?.open ?? 0 }

    private func watch(_ index: Int) throws(SyscallError) {
        let fd = listeners[index].socket.descriptor.rawValue
        listeners[index].registration = try loop.register(fd, interest: .readable) { [unowned self] _ in
            self.acceptAll(index)
        }
    }

    private func acceptAll(_ index: Int) {
        // Bounded so one busy listener cannot starve the connections already open.
        for _ in 0..<64 {
            guard accepting else { return }
            let listener = listeners[index]
            let result: IOResult<StreamSocket>
            do {
                result = try listener.socket.accept()
            } catch {
                handleAcceptError(error, index)
                return
            }
            guard case .done(let socket) = result else { return }
            admit(socket, listener: listener)
        }
    }

    private func admit(_ socket: StreamSocket, listener: Listener) {
        let budget = listener.budget
        if budget.open >= budget.limit, !evictIdleConnection(of: budget) {
            shed(socket)
            onDiagnostic(.connectionLimitReached(listener: listener.name, limit: budget.limit))
            return
        }
        if case .unix = listener.socket.address {} else { socket.setNoDelay() }
        nextConnectionID += 1
        let info = ConnectionInfo(listener: listener.name, peer: socket.peer)
        let connection = HTTPConnection(
            id: nextConnectionID, socket: socket, info: info, server: self, handler: listener.handler, budget: budget)
        connections[connection.id] = connection
        budget.open += 1
        do {
            try connection.start()
        } catch {
            connection.close()
        }
    }

    private static let overloaded: [UInt8] = Array(
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 27\r\nRetry-After: 1\r\nConnection: close\r\nServer: taskhookd\r\n\r\ntoo many open connections\r\n"
            .utf8)

    /// Answers 503 as far as the socket takes it without blocking, then closes.
    private func shed(_ socket: StreamSocket) {
        _ = Self.overloaded.withUnsafeBytes { try? socket.write($0) }
        socket.close()
    }

    private func handleAcceptError(_ error: SyscallError, _ index: Int) {
        onDiagnostic(.acceptFailed(listener: listeners[index].name, error: error))
        if error.errno == .tooManyOpenFiles || error.errno == .tooManyOpenFilesInSystem, let spare = reserve {
            spare.close()
            reserve = nil
            if case .done(let socket)? = try? listeners[index].socket.accept() { shed(socket) }
            reserve = Self.openReserve()
            if reserve != nil { return }
        }
        // No way to shed right now: stop watching this listener for a moment instead of spinning.
        if let registration = listeners[index].registration {
            loop.deregister(registration)
            listeners[index].registration = nil
            loop.schedule(at: loop.now + .milliseconds(100)) { [weak self] in
                guard let self, self.accepting, self.listeners.indices.contains(index) else { return }
                try? self.watch(index)
            }
        }
    }

    private static func openReserve() -> Descriptor? { Descriptor.openNullDevice() }

    /// The Date header's value now, shared by every connection (formatted once a second).
    func date() -> String {
        dateText.text(unixSeconds: FileSystem.wallClockMilliseconds() / 1000)
    }

    /// Closes the connection of `budget` idle longest (keep-alive between requests, never sent
    /// anything, or lingering after its last answer): it costs its client at most a reconnect,
    /// while refusing would cost the new client its request.
    private func evictIdleConnection(of budget: ConnectionBudget) -> Bool {
        guard let id = budget.takeOldestIdle(where: isStillIdle) else { return false }
        evictedConnections += 1
        connections[id]?.close()
        return true
    }

    private func isStillIdle(_ id: Int, since: Instant) -> Bool { connections[id]?.idleSince == since }

    /// The connection has had nothing to do since `since`; its budget may close it for another.
    func connectionBecameIdle(_ connection: HTTPConnection, since: Instant) {
        connection.budget.noteIdle(connection.id, since: since, isStillIdle: isStillIdle)
    }

    /// What a request body will hold of the body-memory budget.
    func bodyReservation(for head: RequestHead) -> Int {
        switch head.framing {
        case .none: 0
        case .contentLength(let length): Int(min(length, configuration.limits.maxBodyBytes))
        case .chunked: Int(configuration.limits.maxBodyBytes)
        }
    }

    /// Takes `bytes` of the body-memory budget; false (nothing taken) when it would be exceeded.
    func reserveBodyMemory(_ bytes: Int) -> Bool {
        guard bytes > 0 else { return true }
        guard bufferedBodyBytes + bytes <= configuration.maxBufferedBodyBytes else { return false }
        bufferedBodyBytes += bytes
        return true
    }

    func releaseBodyMemory(_ bytes: Int) { bufferedBodyBytes -= bytes }

    func connectionClosed(_ connection: HTTPConnection) {
        connections[connection.id] = nil
        connection.budget.open -= 1
        if connections.isEmpty, let completion = drainCompletion {
            drainCompletion = nil
            completion()
        }
    }

    /// Stops accepting: listeners are closed (socket files of Unix listeners removed).
    public func stopAccepting() {
        accepting = false
        for listener in listeners {
            if let registration = listener.registration { loop.deregister(registration) }
            listener.socket.close()
        }
        listeners.removeAll()
    }

    /// Graceful stop: no new connections; idle ones close now; requests in flight are answered
    /// (with `Connection: close`). `completion` runs once every connection is closed, or at
    /// `deadline`, when the rest are closed without an answer.
    public func drain(deadline: Instant, completion: @escaping () -> Void) {
        stopAccepting()
        if connections.isEmpty {
            completion()
            return
        }
        drainCompletion = completion
        for connection in Array(connections.values) { connection.beginDrain() }
        loop.schedule(at: deadline) { [weak self] in
            guard let self, self.drainCompletion != nil else { return }
            for connection in Array(self.connections.values) { connection.close() }
        }
    }
}

/// The connections a listener (or the listeners of one name) may hold at once, and which of
/// them are idle, oldest first, so making room costs O(1) (amortized) instead of a scan of
/// every connection on every accept while the budget is full.
final class ConnectionBudget {
    let name: String
    let limit: Int
    var open = 0
    /// Connections in the order they became idle. An entry goes stale when its connection gets
    /// busy or closes (it is checked when taken, and stale ones are dropped in bulk).
    private var idle: [(id: Int, since: Instant)] = []
    private var idleStart = 0

    init(name: String, limit: Int) {
        self.name = name
        self.limit = limit
    }

    func noteIdle(_ id: Int, since: Instant, isStillIdle: (Int, Instant) -> Bool) {
        idle.append((id, since))
        // Each connection has at most one live entry: past twice that, drop the stale ones.
        if idle.count - idleStart > 2 * open + 64 {
            idle = idle[idleStart...].filter { isStillIdle($0.id, $0.since) }
            idleStart = 0
        }
    }

    /// The id of the connection idle longest, taken off the list; nil when none is idle.
    func takeOldestIdle(where isStillIdle: (Int, Instant) -> Bool) -> Int? {
        defer {
            if idleStart > 1024, idleStart * 2 > idle.count {
                idle.removeFirst(idleStart)
                idleStart = 0
            }
        }
        while idleStart < idle.count {
            let entry = idle[idleStart]
            idleStart += 1
            if isStillIdle(entry.id, entry.since) { return entry.id }
        }
        return nil
    }
}
