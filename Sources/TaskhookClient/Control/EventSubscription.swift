/// The control API's event stream on a connection of its own: the answer's head, then events
/// as they arrive.
public final class EventSubscription {
    /// The daemon answered, but not with a stream: its answer, to report rather than retry.
    public struct Refused: Error, CustomStringConvertible {
        public let answer: ControlResponse

        public var description: String { "taskhookd answered \(answer.status): \(answer.message)" }
    }

    private let connection: ControlConnection
    private var parser = ResponseParser()
    private var events = ServerSentEventParser()
    private var streaming = false

    /// Connects and asks for the events after `since`.
    public init(_ endpoint: ControlEndpoint, since: UInt64, follow: Bool, task: String?) throws(ControlError) {
        connection = try ControlConnection(
            endpoint, target: ControlTarget.events(since: since, follow: follow, task: task))
    }

    /// Whether the daemon has answered with the stream: from then on, every change is sent.
    public var isStreaming: Bool { streaming }

    /// The connection's socket, to wait for with other descriptors (poll) before `next(timeout: .zero)`.
    public var descriptor: Int32 { connection.descriptor }

    /// The next events, waiting at most `timeout` (nil: for ever; empty when it ran out); nil
    /// at the end of the stream. Throws `Refused` for an answer other than 200, `ControlError`
    /// when the connection fails.
    public func next(timeout: Duration?) throws -> [ServerSentEvent]? {
        guard let chunk = try connection.rawChunk(timeout: timeout) else {
            if !streaming { throw ControlError.broken("taskhookd closed the connection before answering") }
            return nil
        }
        if streaming {
            events.feed(chunk)
        } else {
            parser.feed(chunk)
            guard let head = try parser.head() else { return [] }
            guard head.status == 200 else { throw Refused(answer: try rest()) }
            streaming = true
            events.feed(parser.takeBody())
        }
        return events.events()
    }

    /// The whole answer whose head has been read.
    private func rest() throws(ControlError) -> ControlResponse {
        while true {
            if let answer = try parser.response() { return answer }
            guard let chunk = try connection.rawChunk(timeout: .seconds(30)) else { return try parser.finish() }
            if chunk.isEmpty { throw .broken("taskhookd stopped answering halfway") }
            parser.feed(chunk)
        }
    }
}
