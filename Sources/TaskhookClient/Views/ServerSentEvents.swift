/// One event of the control API's stream: `id:` is the journal sequence, `data:` the change
/// as one JSON object.
public struct ServerSentEvent: Sendable, Equatable {
    public var id: UInt64
    public var data: String

    public init(id: UInt64, data: String) {
        self.id = id
        self.data = data
    }
}

/// Splits the event stream's body, fed in any pieces, into events. Blocks without both an
/// `id:` and a `data:` line (the daemon's keep-alive comments) are skipped.
public struct ServerSentEventParser {
    private var buffer: [UInt8] = []

    public init() {}

    public mutating func feed(_ bytes: some Sequence<UInt8>) { buffer.append(contentsOf: bytes) }

    /// The events completed so far, in order.
    public mutating func events() -> [ServerSentEvent] {
        var events: [ServerSentEvent] = []
        let separator = Array("\n\n".utf8)
        while let end = buffer.firstRange(of: separator) {
            let block = String(decoding: buffer[..<end.lowerBound], as: UTF8.self)
            buffer.removeSubrange(..<end.upperBound)
            var id: UInt64?
            var data: String?
            for line in block.split(separator: "\n") {
                if line.hasPrefix("id: ") { id = UInt64(line.dropFirst(4)) }
                if line.hasPrefix("data: ") { data = String(line.dropFirst(6)) }
            }
            if let id, let data { events.append(ServerSentEvent(id: id, data: data)) }
        }
        return events
    }
}
