import TaskhookPosix

/// Streamed answers (Server-Sent Events): the head now, the body in pieces, the end with the
/// connection.
extension ConnectionState {
    /// Starts a response whose body follows in pieces: no Content-Length, `Connection: close`,
    /// the body ends when the connection does. `head.body` is sent as the first piece.
    public mutating func startStream(_ head: Response, now: Instant) {
        guard case .awaitingResponse = phase, let request = current else { return }
        current = nil
        if pendingOutputCount == 0 { lastWriteProgress = now }
        answeredStatuses.append(head.status.code)
        output.write {
            ResponseWriter.serializeStreamHead(head, requestVersion: request.version, date: date(), into: &$0)
        }
        // HEAD gets the head alone: a stream would be a body, which HEAD must not have.
        guard request.method != "HEAD" else {
            phase = .closing
            return
        }
        output.append(contentsOf: head.body)
        phase = .streaming
    }

    /// Whether a streamed body is being sent (false once it ended, or for HEAD).
    public var isStreaming: Bool {
        if case .streaming = phase { return true }
        return false
    }

    /// Appends a piece of a streamed body.
    public mutating func stream(_ bytes: [UInt8], now: Instant) {
        guard case .streaming = phase else { return }
        if pendingOutputCount == 0 { lastWriteProgress = now }
        output.append(contentsOf: bytes)
    }

    /// Ends a streamed body: the connection closes once it is sent.
    public mutating func endStream() {
        guard case .streaming = phase else { return }
        phase = .closing
    }
}
