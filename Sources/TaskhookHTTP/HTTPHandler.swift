import TaskhookPosix

/// Where a request came from.
public struct ConnectionInfo: Sendable, Equatable {
    /// The name of the listener that accepted it (e.g. "http", "control").
    public let listener: String
    public let peer: SocketAddress?
    /// The peer as text (`127.0.0.1:40312`, `unknown`), made once per connection rather than
    /// for each callback logged and journaled from it.
    public let peerText: String

    public init(listener: String, peer: SocketAddress?) {
        self.listener = listener
        self.peer = peer
        self.peerText = Self.text(of: peer)
    }

    /// How a peer is written in logs and the journal.
    public static func text(of peer: SocketAddress?) -> String { peer.map { "\($0)" } ?? "unknown" }
}

/// The application side of the server. Both methods run on the event loop's thread.
public protocol HTTPHandler: AnyObject {
    /// Decides from the head alone whether to read the body or answer at once.
    func decide(_ head: RequestHead, connection: ConnectionInfo) -> HeadDecision
    /// Handles a complete request. Answer through `responder`, now or later (after an fsync,
    /// minutes later for a long-poll), always on the loop's thread.
    func handle(_ request: Request, connection: ConnectionInfo, responder: any Responder)
}

/// The way to answer one request, at any later time on the loop's thread. The server hands
/// handlers a `ConnectionResponder`; tests hand them one that records what it was told.
public protocol Responder: AnyObject {
    /// Whether the answer was sent (or the connection ended first).
    var isAnswered: Bool { get }
    /// Called once if the connection ends before the answer could be sent (reset, timeout,
    /// server stop). The answer is then discarded.
    var onDisconnect: (() -> Void)? { get set }
    /// Called once if the client shuts down its sending side while waiting. The connection
    /// stays open for the answer; a long-poll may treat this as the client having gone.
    var onInputClosed: (() -> Void)? { get set }
    /// Bytes of a stream not yet taken by the client (a slow subscriber shows here).
    var pendingBytes: Int { get }

    /// Sends the answer. Later calls are ignored.
    func respond(_ response: Response)
    /// Starts a streamed answer (Server-Sent Events): `head` and its body now, more with
    /// `send`, the end with `finish`. `onDisconnect` still tells when the client goes away.
    func startStream(_ head: Response)
    /// Sends more of a streamed answer; false when it can no longer reach the client.
    @discardableResult func send(_ bytes: [UInt8]) -> Bool
    /// Ends a streamed answer.
    func finish()
    /// Calls `ready` once, later on the loop, when fewer than `bytes` of a streamed answer wait
    /// for the client: the producer of a long stream sends its next piece from there instead of
    /// queueing all of it at once. Never called from within `send`; dropped if the connection
    /// ends first (`onDisconnect` tells of that). A later call replaces an earlier one.
    func whenDrained(below bytes: Int, _ ready: @escaping () -> Void)
}

/// The responder of a request read from a connection.
final class ConnectionResponder: Responder {
    weak var connection: HTTPConnection?
    private(set) var isAnswered = false
    private(set) var isStreaming = false
    var onDisconnect: (() -> Void)?
    var onInputClosed: (() -> Void)?

    init(connection: HTTPConnection) { self.connection = connection }

    func respond(_ response: Response) {
        guard !isAnswered else { return }
        isAnswered = true
        onDisconnect = nil
        onInputClosed = nil
        connection?.respond(response)
    }

    func startStream(_ head: Response) {
        guard !isAnswered, !isStreaming, let connection else { return }
        isStreaming = true
        connection.startStream(head)
    }

    @discardableResult
    func send(_ bytes: [UInt8]) -> Bool {
        guard isStreaming, !isAnswered, let connection else { return false }
        return connection.stream(bytes)
    }

    var pendingBytes: Int { connection?.pendingOutputCount ?? 0 }

    func whenDrained(below bytes: Int, _ ready: @escaping () -> Void) {
        guard isStreaming, !isAnswered, let connection else { return }
        connection.whenDrained(below: bytes, ready)
    }

    func finish() {
        guard isStreaming, !isAnswered else { return }
        isAnswered = true
        onDisconnect = nil
        onInputClosed = nil
        connection?.endStream()
    }

    func disconnected() {
        guard !isAnswered else { return }
        isAnswered = true
        let callback = onDisconnect
        onDisconnect = nil
        onInputClosed = nil
        callback?()
    }

    func inputClosed() {
        let callback = onInputClosed
        onInputClosed = nil
        callback?()
    }
}

/// Things worth an operator's attention that the server handles by itself.
public enum ServerDiagnostic: Sendable, Equatable {
    /// accept(2) failed; EMFILE/ENFILE shed the connection, others pause accepting briefly.
    case acceptFailed(listener: String, error: SyscallError)
    /// A connection beyond its listener's budget found no idle connection to take the place
    /// of, and was answered 503 and closed.
    case connectionLimitReached(listener: String, limit: Int)
}
