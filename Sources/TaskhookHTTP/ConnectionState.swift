import TaskhookPosix

/// One connection's HTTP/1.1 logic as a pure value, in the manner of Hummingbird's connection
/// state handler: it owns the unparsed input and the unsent output, is driven by what happened
/// (bytes arrived, a response is ready, output was written, time passed), and tells its shell
/// what to dispatch. The shell only moves bytes and timers; tests drive this with a mock clock.
///
/// Requests on a connection are handled one at a time: the next pipelined request is parsed
/// only after the current one is answered, so answers always go out in request order.
public struct ConnectionState {
    public enum Event: Equatable {
        /// A head arrived: call `decide(_:now:)` before anything else.
        case head(RequestHead)
        /// A request is complete: hand it to the application, then call `respond(_:now:)`.
        case request(Request)
    }

    /// Where the connection is. The request in progress is kept in `current`, not in the
    /// phase, so the hot path switches over plain values.
    enum Phase: Equatable {
        /// Between requests, nothing of the next one received. `fresh`: no request yet.
        case idle(since: Instant, fresh: Bool)
        case head(since: Instant)
        case awaitingDecision
        case body(since: Instant)
        /// Reading and dropping the body of a request answered early.
        case discard(since: Instant)
        case awaitingResponse
        /// A response whose body is still being written (Server-Sent Events). It ends with
        /// the connection, so nothing more is read or parsed.
        case streaming
        /// Answer nothing more; once the output is flushed, shut down the sending side.
        case closing
        /// The answer is sent and the sending side shut down: what the peer still sends is read
        /// and dropped until it closes too (or `lingerTimeout`), so the kernel never answers
        /// unread input with a reset that could destroy the answer before the peer reads it.
        case lingering(since: Instant)
        /// Close now, dropping unsent output.
        case aborted
    }

    public let limits: HTTPLimits
    private var parser: RequestParser
    // Internal rather than private so the extensions in ConnectionState+*.swift reach them.
    var phase: Phase
    /// The head of the request being decided, read or answered.
    var current: RequestHead?
    private var input: [UInt8] = []
    private var inputStart = 0
    var output = OutputBuffer()
    private var body: [UInt8] = []
    var lastWriteProgress: Instant
    /// The Date header's value now (the shell's wall clock; tests pass a fixed one).
    let date: () -> String
    /// The peer closed its sending side; nothing more will be read.
    public private(set) var inputClosed = false
    /// Set by `beginDrain`: answer what is in flight with `Connection: close`, start nothing new.
    public private(set) var draining = false
    /// Status codes answered since the shell last took them (for counting answers by status).
    public internal(set) var answeredStatuses: [Int] = []

    /// Bytes of unparsed input beyond which reading stops while a request is being answered.
    public static let maxBufferedInput = 64 * 1024

    public init(limits: HTTPLimits, now: Instant, date: @escaping () -> String) {
        self.limits = limits
        self.date = date
        self.parser = RequestParser(limits: limits)
        self.phase = .idle(since: now, fresh: true)
        self.lastWriteProgress = now
    }

    // MARK: What the shell asks

    public var pendingOutputCount: Int { output.count }

    /// Mutating although it changes nothing: called on a class's stored state (the shell's), a
    /// non-mutating method taking a closure gets a copy of the whole state, retaining every
    /// buffer in it, where a mutating one borrows the state in place.
    public mutating func withPendingOutput<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try output.withUnsafeBytes(body)
    }

    /// Whether the shell should watch the socket for input.
    public var wantsRead: Bool {
        if inputClosed { return false }
        switch phase {
        case .closing, .aborted: return false
        case .lingering: return true
        case .awaitingDecision, .awaitingResponse:
            if input.count - inputStart >= Self.maxBufferedInput { return false }
        default: break
        }
        return pendingOutputCount < limits.maxPendingOutputBytes
    }

    /// The connection is finished: close the socket.
    public var isDone: Bool {
        switch phase {
        case .aborted: true
        case .closing: pendingOutputCount == 0 && inputClosed
        case .lingering: inputClosed
        case .idle: inputClosed && input.count == inputStart && pendingOutputCount == 0
        default: false
        }
    }

    /// The answer is flushed and the peer may still send: shut down the sending side, then call
    /// `shutDownWrite(now:)`.
    public var wantsWriteShutdown: Bool {
        if case .closing = phase { return pendingOutputCount == 0 && !inputClosed }
        return false
    }

    /// The sending side is shut down and the peer's input is being dropped until it closes.
    public var isLingering: Bool {
        if case .lingering = phase { return true }
        return false
    }

    /// Since when the connection has had nothing to do, if it has nothing to do: it may be
    /// closed to make room for another (the one idle longest first).
    public var idleSince: Instant? {
        switch phase {
        case .idle(let since, _): input.count == inputStart && pendingOutputCount == 0 ? since : nil
        case .lingering(let since): since
        default: nil
        }
    }

    /// A request body is being read, or the request it belongs to is being answered.
    public var holdsRequestBody: Bool {
        switch phase {
        case .body, .awaitingResponse: true
        default: false
        }
    }

    /// A request is being answered by the application.
    public var isAwaitingResponse: Bool {
        if case .awaitingResponse = phase { return true }
        return false
    }

    /// When `timeout(now:)` must be called, if ever.
    public var deadline: Instant? {
        var phaseDeadline: Instant?
        switch phase {
        case .idle(let since, let fresh): phaseDeadline = since + (fresh ? limits.headerTimeout : limits.idleTimeout)
        case .head(let since): phaseDeadline = since + limits.headerTimeout
        case .body(let since), .discard(let since): phaseDeadline = since + limits.bodyTimeout
        case .lingering(let since): phaseDeadline = since + limits.lingerTimeout
        case .awaitingDecision, .awaitingResponse, .streaming, .closing, .aborted: phaseDeadline = nil
        }
        guard pendingOutputCount > 0 else { return phaseDeadline }
        let writeDeadline = lastWriteProgress + limits.writeTimeout
        return phaseDeadline.map { min($0, writeDeadline) } ?? writeDeadline
    }

    // MARK: What happened

    public mutating func received(_ bytes: UnsafeRawBufferPointer, now: Instant) -> Event? {
        guard !inputClosed else { return nil }
        switch phase {
        case .closing, .aborted, .streaming, .lingering: return nil  // a stream's client has nothing more to say
        default: break
        }
        if inputStart > 0, inputStart == input.count {
            input.removeAll(keepingCapacity: true)
            inputStart = 0
        }
        input.append(contentsOf: bytes)
        return process(now: now)
    }

    /// The peer will send nothing more.
    public mutating func receivedEOF(now: Instant) -> Event? {
        inputClosed = true
        switch phase {
        case .head, .body, .discard:
            // A request cut off in the middle: there is nobody to answer.
            phase = .closing
        case .idle:
            // Requests already buffered are still answered; then the connection ends.
            return process(now: now)
        default:
            break
        }
        return nil
    }

    public mutating func decide(_ decision: HeadDecision, now: Instant) -> Event? {
        guard case .awaitingDecision = phase, let head = current else { return nil }
        switch decision {
        case .readBody:
            if head.expectsContinue {
                if pendingOutputCount == 0 { lastWriteProgress = now }
                output.append(contentsOf: ResponseWriter.continueLine)
            }
            body.removeAll(keepingCapacity: true)
            phase = .body(since: now)
        case .respond(let response):
            let hasBody = head.framing != .none && head.framing != .contentLength(0)
            let keepAlive =
                head.keepAlive && !response.closeConnection && !draining && !(hasBody && head.expectsContinue)
            write(response, for: head, keepAlive: keepAlive, now: now)
            current = nil
            // With keep-alive the body is read and dropped; the parser reports its end (at once
            // when there is none) and the connection goes back to idle.
            phase = keepAlive ? .discard(since: now) : .closing
        }
        return process(now: now)
    }

    public mutating func respond(_ response: Response, now: Instant) -> Event? {
        // Taken, not copied: a copy would retain every buffer of the head only to drop them.
        guard case .awaitingResponse = phase, let head = current.take() else { return nil }
        let keepAlive = head.keepAlive && !response.closeConnection && !draining
        write(response, for: head, keepAlive: keepAlive, now: now)
        phase = keepAlive ? .idle(since: now, fresh: false) : .closing
        return process(now: now)
    }

    /// `count` bytes of the pending output were sent.
    public mutating func wrote(_ count: Int, now: Instant) -> Event? {
        guard count > 0 else { return nil }
        let wasBlocked = pendingOutputCount >= limits.maxPendingOutputBytes
        output.removeFirst(count)
        lastWriteProgress = now
        return wasBlocked ? process(now: now) : nil
    }

    /// The deadline passed.
    public mutating func timeout(now: Instant) {
        guard let deadline, deadline <= now else { return }
        if pendingOutputCount > 0, lastWriteProgress + limits.writeTimeout <= now {
            phase = .aborted  // the peer takes nothing; give up on what it was owed
            return
        }
        switch phase {
        case .idle:
            // Nothing of a request arrived: close quietly, as nginx does.
            phase = .closing
        case .head:
            fail(
                HTTPParseError(
                    .requestTimeout, "request header not received within \(Self.seconds(limits.headerTimeout))"),
                now: now)
        case .body:
            fail(
                HTTPParseError(.requestTimeout, "request body not received within \(Self.seconds(limits.bodyTimeout))"),
                now: now)
        case .discard:
            phase = .closing
        case .lingering:
            phase = .aborted  // the peer neither reads nor closes; the reset no longer matters
        default:
            break
        }
    }

    /// The shell shut down the sending side after the answer: drop input until the peer closes.
    public mutating func shutDownWrite(now: Instant) {
        guard wantsWriteShutdown else { return }
        input.removeAll()
        inputStart = 0
        phase = .lingering(since: now)
    }

    /// The server is stopping: finish the request in progress, then close.
    public mutating func beginDrain() {
        draining = true
        if case .idle = phase, input.count == inputStart { phase = .closing }
    }

    /// Close without flushing (a write failed; the peer is gone).
    public mutating func abort() { phase = .aborted }

    // MARK: Parsing

    /// Parses buffered input until there is something for the application (at most one event:
    /// the next comes only after the application has acted on it) or nothing more to do.
    private mutating func process(now: Instant) -> Event? {
        while true {
            switch phase {
            case .idle:
                if input.count == inputStart {
                    // Nothing more will come, or nothing more is wanted: close once flushed.
                    if draining || inputClosed { phase = .closing }
                    return nil
                }
                // Backpressure: leave pipelined requests unparsed until the peer reads.
                guard pendingOutputCount < limits.maxPendingOutputBytes else { return nil }
                // A new connection's header time counts from the accept, not from its first
                // byte: else a client could take the idle allowance plus the header allowance.
                if case .idle(let since, fresh: true) = phase {
                    phase = .head(since: since)
                } else {
                    phase = .head(since: now)
                }
            case .head, .body, .discard:
                break
            case .awaitingDecision, .awaitingResponse, .streaming, .closing, .aborted, .lingering:
                return nil
            }
            let step = input.withUnsafeBufferPointer { buffer in
                let rest = UnsafeBufferPointer(rebasing: buffer[inputStart...])
                return Result { () throws(HTTPParseError) in try parser.parse(rest) }
            }
            switch step {
            case .failure(let error):
                if case .discard = phase {
                    phase = .closing  // already answered; the rest is not worth a second answer
                } else {
                    fail(error, now: now)
                }
                return nil
            case .success(let (event, consumed)):
                let start = inputStart
                inputStart += consumed
                switch event {
                case .needMore:
                    if inputClosed {
                        phase = .closing
                        return nil
                    }
                    if inputStart == input.count {
                        input.removeAll(keepingCapacity: true)
                        inputStart = 0
                    } else if inputStart > 16 * 1024 {
                        input.removeFirst(inputStart)
                        inputStart = 0
                    }
                    return nil
                case .head(let head):
                    phase = .awaitingDecision
                    current = head
                    return .head(head)
                case .body(let range):
                    if case .body = phase {
                        body.append(contentsOf: input[(start + range.lowerBound)..<(start + range.upperBound)])
                    }
                case .end(let trailers):
                    switch phase {
                    case .body:
                        phase = .awaitingResponse
                        let request = Request(head: current!, body: body, trailers: trailers)
                        body = []
                        return .request(request)
                    default:
                        phase = draining ? .closing : .idle(since: now, fresh: false)
                    }
                }
            }
        }
    }

    private mutating func fail(_ error: HTTPParseError, now: Instant) {
        write(.text(error.status, error.reason), for: nil, keepAlive: false, now: now)
        phase = .closing
    }

    /// Forgets the answered statuses once the shell has counted them. Returning them from here
    /// instead would copy the array on every answer: the caller's reference keeps it shared.
    public mutating func clearAnsweredStatuses() {
        answeredStatuses.removeAll(keepingCapacity: true)
    }

    private mutating func write(_ response: Response, for head: RequestHead?, keepAlive: Bool, now: Instant) {
        answeredStatuses.append(response.status.code)
        // The write timeout counts from when output starts waiting, not from the last write.
        if pendingOutputCount == 0 { lastWriteProgress = now }
        output.write {
            ResponseWriter.serialize(
                response, keepAlive: keepAlive, requestVersion: head?.version ?? .http11,
                omitBody: head?.method == "HEAD", date: date(), into: &$0)
        }
    }

    static func seconds(_ d: Duration) -> String {
        let (s, atto) = d.components
        return atto == 0 ? "\(s) s" : "\(Double(s) + Double(atto) / 1e18) s"
    }
}
