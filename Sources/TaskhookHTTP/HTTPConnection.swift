import TaskhookPosix

/// The I/O shell around one `ConnectionState`: reads, writes, epoll interest and the timer.
final class HTTPConnection {
    let socket: StreamSocket
    let info: ConnectionInfo
    private unowned let server: HTTPServer
    private let handler: HTTPHandler
    private var state: ConnectionState
    private var registration: EventLoop.Registration?
    private var timer: EventLoop.TimerID?
    private var interest: IOEvents = []
    private var responder: ConnectionResponder?
    private var queued: [ConnectionState.Event] = []
    private var dispatching = false
    private(set) var isClosed = false
    let id: Int
    /// The listener budget this connection counts against.
    let budget: ConnectionBudget
    /// Bytes of the server's body-memory budget held for the request being read or answered.
    private var reservedBodyBytes = 0
    /// The idle-since the server was last told of, so it hears of each idle spell once.
    private var announcedIdleSince: Instant?
    /// A stream's producer waiting for fewer unsent bytes than `below` (`Responder.whenDrained`).
    private var drainWaiter: (below: Int, ready: () -> Void)?

    init(
        id: Int, socket: StreamSocket, info: ConnectionInfo, server: HTTPServer, handler: HTTPHandler,
        budget: ConnectionBudget
    ) {
        self.id = id
        self.budget = budget
        self.socket = socket
        self.info = info
        self.server = server
        self.handler = handler
        self.state = ConnectionState(
            limits: server.configuration.limits, now: server.loop.now, date: { [unowned server] in server.date() })
    }

    func start() throws(SyscallError) {
        let loop = server.loop
        registration = try loop.register(socket.descriptor.rawValue, interest: .readable) { [unowned self] events in
            self.ready(events)
        }
        interest = .readable
        timer = loop.addTimer { [unowned self] in
            withExtendedLifetime(self) {
                self.state.timeout(now: self.server.loop.now)
                self.sync()
            }
        }
        sync()
    }

    private func ready(_ events: IOEvents) {
        // Closing removes the server's reference; keep self alive until this event is handled.
        withExtendedLifetime(self) {
            if events.contains(.writable) || events.contains(.error) { flush() }
            if !isClosed, events.contains(.readable) || events.contains(.readHangup) || events.contains(.hangup) {
                read()
            }
            // epoll reports a hang-up or an error whatever was asked for. With nothing to read and
            // nothing to send, nothing else would notice it, and it would wake the loop for ever:
            // the peer is gone, so is whatever it was owed.
            if !isClosed, events.contains(.hangup) || events.contains(.error), !state.wantsRead,
                state.pendingOutputCount == 0
            {
                state.abort()
            }
            sync()
        }
    }

    private func read() {
        guard state.wantsRead else { return }
        let buffer = server.readBuffer
        let result: IOResult<Int>
        do {
            result = try socket.read(into: buffer)
        } catch {
            // ECONNRESET and friends: the peer is gone, and so is whatever it was owed.
            state.abort()
            return
        }
        let now = server.loop.now
        switch result {
        case .wouldBlock:
            return
        case .done(0):
            dispatch(state.receivedEOF(now: now))
            responder?.inputClosed()
        case .done(let n):
            dispatch(state.received(UnsafeRawBufferPointer(rebasing: buffer[..<n]), now: now))
        }
    }

    /// Hands events to the application until the state machine has nothing more to say. A
    /// handler that answers at once re-enters through `respond`; its event waits in `queued`.
    private func dispatch(_ event: ConnectionState.Event?) {
        guard let event else { return }
        if dispatching {
            queued.append(event)
            return
        }
        dispatching = true
        defer { dispatching = false }
        var next: ConnectionState.Event? = event
        // `take()` and `consume` move each event (a head, or a whole request) along instead of
        // copying it, which would retain and release every String and array in it.
        while !isClosed, let current = next.take() ?? (queued.isEmpty ? nil : queued.removeFirst()) {
            switch consume current {
            case .head(let head):
                // A new head means the previous request was answered: its body's share is free,
                // even when that answer came later and started this request (pipelining).
                if reservedBodyBytes > 0 { releaseBodyMemory() }
                var decision = handler.decide(head, connection: info)
                if case .readBody = decision {
                    let size = server.bodyReservation(for: head)
                    if server.reserveBodyMemory(size) {
                        reservedBodyBytes = size
                    } else {
                        decision = .respond(Self.bodyMemorySpent)
                    }
                }
                next = state.decide(decision, now: server.loop.now)
            case .request(let request):
                next = nil
                let responder = ConnectionResponder(connection: self)
                self.responder = responder
                handler.handle(request, connection: info, responder: responder)
            }
        }
    }

    /// The answer when the bodies being read already hold the whole body-memory budget: the
    /// sender retries later (providers do on 503) instead of the server growing without bound.
    private static let bodyMemorySpent: Response = {
        var response = Response.text(
            .serviceUnavailable, "too many request bodies in flight; retry later",
            headers: HTTPFields([("Retry-After", "1")]))
        response.closeConnection = true
        return response
    }()

    /// Called by the current request's responder. `sync` sends what it can at once.
    func respond(_ response: Response) {
        guard !isClosed else { return }
        responder = nil
        dispatch(state.respond(response, now: server.loop.now))
        sync()
    }

    var pendingOutputCount: Int { state.pendingOutputCount }

    func startStream(_ head: Response) {
        guard !isClosed else { return }
        state.startStream(head, now: server.loop.now)
        sync()
    }

    /// False when the stream has ended (closed, or a HEAD request that gets no body).
    func stream(_ bytes: [UInt8]) -> Bool {
        guard !isClosed, state.isStreaming else { return false }
        state.stream(bytes, now: server.loop.now)
        sync()
        return true
    }

    func whenDrained(below bytes: Int, _ ready: @escaping () -> Void) {
        guard !isClosed, state.isStreaming else { return }
        drainWaiter = (bytes, ready)
        sync()
    }

    func endStream() {
        guard !isClosed else { return }
        responder = nil
        state.endStream()
        sync()
    }

    private func flush() {
        while !isClosed, state.pendingOutputCount > 0 {
            let result: IOResult<Int>
            do {
                result = try state.withPendingOutput { bytes in try socket.write(bytes) }
            } catch {
                state.abort()
                return
            }
            guard case .done(let n) = result else { return }
            dispatch(state.wrote(n, now: server.loop.now))
        }
    }

    func beginDrain() {
        guard !isClosed else { return }
        state.beginDrain()
        sync()
    }

    /// Brings epoll interest and the timer in line with the state, or closes when done.
    func sync() {
        guard !isClosed else { return }
        if state.pendingOutputCount > 0 { flush() }
        if !state.answeredStatuses.isEmpty {
            server.count(state.answeredStatuses)
            state.clearAnsweredStatuses()
        }
        if reservedBodyBytes > 0, !state.holdsRequestBody { releaseBodyMemory() }
        if state.wantsWriteShutdown {
            socket.shutdownWrite()
            state.shutDownWrite(now: server.loop.now)
        }
        if state.isDone {
            close()
            return
        }
        let idleSince = state.idleSince
        if idleSince != announcedIdleSince {
            announcedIdleSince = idleSince
            if let idleSince { server.connectionBecameIdle(self, since: idleSince) }
        }
        var wanted: IOEvents = []
        if state.wantsRead { wanted.insert(.readable) }
        if state.pendingOutputCount > 0 { wanted.insert(.writable) }
        if wanted != interest, let registration {
            do {
                try server.loop.setInterest(registration, wanted)
                interest = wanted
            } catch {
                close()
                return
            }
        }
        if let timer { server.loop.setTimer(timer, deadline: Self.deadline(of: &state)) }
        if let waiter = drainWaiter, state.pendingOutputCount < waiter.below {
            drainWaiter = nil
            // Later, not now: `sync` runs within `send`, and the producer would re-enter itself.
            server.loop.schedule(at: server.loop.now) { waiter.ready() }
        }
    }

    /// The state's deadline, read in place: a getter called on the stored state directly gets
    /// a copy of the whole state (retaining every buffer in it), after every event.
    private static func deadline(of state: inout ConnectionState) -> Instant? { state.deadline }

    /// Since when the connection has had nothing to do (nil: it is busy).
    var idleSince: Instant? { isClosed ? nil : state.idleSince }

    private func releaseBodyMemory() {
        server.releaseBodyMemory(reservedBodyBytes)
        reservedBodyBytes = 0
    }

    func close() {
        guard !isClosed else { return }
        isClosed = true
        drainWaiter = nil
        releaseBodyMemory()
        if let registration { server.loop.deregister(registration) }
        if let timer { server.loop.removeTimer(timer) }
        socket.close()
        let pending = responder
        responder = nil
        server.connectionClosed(self)
        pending?.disconnected()
    }
}
