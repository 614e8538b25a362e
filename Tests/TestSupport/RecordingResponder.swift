import TaskhookHTTP
import TaskhookPosix

/// A responder that records what a handler told it, for in-process tests of routes: the
/// answer, or a stream's head, chunks and end. `onAnswer` lets a test feed the answer on.
public final class RecordingResponder: Responder {
    public private(set) var response: Response?
    public private(set) var streamHead: Response?
    public private(set) var chunks: [[UInt8]] = []
    public private(set) var finished = false
    public var isAnswered: Bool { response != nil || finished }
    public var onDisconnect: (() -> Void)?
    public var onInputClosed: (() -> Void)?
    /// What `pendingBytes` reports: a test sets it to play a slow reader.
    public var pendingBytes = 0
    /// Whether what is sent waits (counts in `pendingBytes`) until `drain()`, as for a client
    /// that reads only when the test says so.
    public var holdsSentBytes = false
    /// Whether `send` still reaches the client.
    public var reachable = true
    public var onAnswer: ((Response) -> Void)?
    /// What `whenDrained` was last given; `drain()` plays the client taking what waits.
    public private(set) var drainWaiter: (below: Int, ready: () -> Void)?

    public init() {}

    public func respond(_ response: Response) {
        guard !isAnswered else { return }
        self.response = response
        onDisconnect = nil
        onInputClosed = nil
        onAnswer?(response)
    }

    public func startStream(_ head: Response) {
        guard !isAnswered, streamHead == nil else { return }
        streamHead = head
    }

    @discardableResult
    public func send(_ bytes: [UInt8]) -> Bool {
        guard streamHead != nil, !finished, reachable else { return false }
        chunks.append(bytes)
        if holdsSentBytes { pendingBytes += bytes.count }
        return true
    }

    public func finish() {
        guard streamHead != nil, !finished else { return }
        finished = true
        onDisconnect = nil
        onInputClosed = nil
    }

    public func whenDrained(below bytes: Int, _ ready: @escaping () -> Void) {
        guard streamHead != nil, !finished else { return }
        drainWaiter = (bytes, ready)
    }

    /// The client takes everything sent so far: nothing is pending, and a producer waiting for
    /// that is told.
    public func drain() {
        pendingBytes = 0
        let waiter = drainWaiter
        drainWaiter = nil
        waiter?.ready()
    }

    /// The client goes away before its answer.
    public func disconnect() {
        let callback = onDisconnect
        onDisconnect = nil
        onInputClosed = nil
        callback?()
    }

    /// The client shuts down its sending side while it waits.
    public func closeInput() {
        let callback = onInputClosed
        onInputClosed = nil
        callback?()
    }

    public var status: Int? { response?.status.code }
    public var text: String { String(decoding: response?.body ?? [], as: UTF8.self) }
    /// Everything streamed so far: the head's body, then each chunk.
    public var streamed: String {
        String(decoding: (streamHead?.body ?? []) + chunks.joined(), as: UTF8.self)
    }
}

/// One connection served in process: raw request bytes go through the real connection state
/// machine (parser, limits, framing) to a handler, whose answers come back as raw bytes. No
/// socket and no loop: a test sees exactly what a client would, including the parser's own
/// 400/413/431 answers that never reach the handler.
public final class InProcessConnection {
    private var state: ConnectionState
    private let handler: HTTPHandler
    private let info: ConnectionInfo
    private var now = Instant(nanoseconds: 1_000_000_000)
    /// Every responder handed to the handler, in request order.
    public private(set) var responders: [RecordingResponder] = []
    /// Everything the client has been sent.
    public private(set) var received: [UInt8] = []

    public init(handler: HTTPHandler, limits: HTTPLimits = HTTPLimits(), listener: String = "http") {
        self.handler = handler
        self.info = ConnectionInfo(listener: listener, peer: nil)
        state = ConnectionState(limits: limits, now: now, date: { "Tue, 01 Dec 2026 14:00:00 GMT" })
    }

    public func send(_ text: String) { send(Array(text.utf8)) }

    public func send(_ bytes: [UInt8]) {
        let now = self.now
        handle(bytes.withUnsafeBytes { state.received($0, now: now) })
    }

    /// The status codes of every complete answer the client has read, in order.
    public var statuses: [Int] {
        let marker = Array("HTTP/1.1 ".utf8)
        var found: [Int] = []
        var index = 0
        while index + marker.count + 3 <= received.count {
            if received[index..<index + marker.count].elementsEqual(marker),
                let code = Int(
                    String(decoding: received[index + marker.count..<index + marker.count + 3], as: UTF8.self))
            {
                found.append(code)
                index += marker.count + 3
            } else {
                index += 1
            }
        }
        return found
    }

    public var receivedText: String { String(decoding: received, as: UTF8.self) }

    private func handle(_ event: ConnectionState.Event?) {
        var next = event
        while let event = next {
            next = nil
            switch event {
            case .head(let head):
                next = state.decide(handler.decide(head, connection: info), now: now)
            case .request(let request):
                let responder = RecordingResponder()
                responders.append(responder)
                responder.onAnswer = { [unowned self] response in
                    self.handle(self.state.respond(response, now: self.now))
                }
                handler.handle(request, connection: info, responder: responder)
            }
        }
        let pending = state.withPendingOutput { Array($0) }
        received += pending
        if !pending.isEmpty { handle(state.wrote(pending.count, now: now)) }
    }
}
