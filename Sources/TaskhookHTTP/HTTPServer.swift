import TaskhookPosix

#if canImport(Glibc)
    import Glibc
#endif

/// An HTTP/1.1 server on an `EventLoop`: any number of TCP and Unix listeners, each with its
/// handler; a bound on connections; graceful drain.
public final class HTTPServer {
    public struct Configuration: Sendable {
        public var limits = HTTPLimits()
        /// Connections beyond this are answered 503 and closed.
        public var maxConnections = 4096
        public init() {}
    }

    private struct Listener {
        let socket: ListeningSocket
        let name: String
        let handler: HTTPHandler
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

    /// Starts accepting on `socket`, handing its requests to `handler`.
    public func addListener(_ socket: ListeningSocket, name: String, handler: HTTPHandler) throws(SyscallError) {
        listeners.append(Listener(socket: socket, name: name, handler: handler, registration: nil))
        try watch(listeners.count - 1)
    }

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
        if connections.count >= configuration.maxConnections {
            shed(socket)
            onDiagnostic(.connectionLimitReached(limit: configuration.maxConnections))
            return
        }
        if case .unix = listener.socket.address {} else { socket.setNoDelay() }
        nextConnectionID += 1
        let info = ConnectionInfo(listener: listener.name, peer: socket.peer)
        let connection = HTTPConnection(
            id: nextConnectionID, socket: socket, info: info, server: self, handler: listener.handler)
        connections[connection.id] = connection
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

    func connectionClosed(_ connection: HTTPConnection) {
        connections[connection.id] = nil
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
