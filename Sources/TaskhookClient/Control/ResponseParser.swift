/// Reads one HTTP/1.1 response, fed bytes as they arrive: status line, headers, then a
/// Content-Length body (the daemon always sends one; without it the body runs to the end of
/// the connection). Interim 1xx answers are skipped. A pure value: no I/O.
public struct ResponseParser {
    public static let maxHead = 64 * 1024
    public static let maxBody = 256 * 1024 * 1024

    /// A status line and headers.
    public struct Head: Sendable, Equatable {
        public var status: Int
        public var headers: [ControlResponse.Header]
        /// From Content-Length; nil: the body ends with the connection.
        public var length: Int?
    }

    private var buffer: [UInt8] = []
    /// The head once read; `buffer` then holds only body bytes.
    private var parsedHead: Head?

    public init() {}

    public mutating func feed(_ bytes: some Sequence<UInt8>) { buffer.append(contentsOf: bytes) }

    /// The head once it is complete.
    public mutating func head() throws(ControlError) -> Head? {
        while parsedHead == nil {
            guard let end = Self.endOfHead(buffer) else {
                guard buffer.count <= Self.maxHead else { throw .broken("taskhookd sent an oversized header") }
                return nil
            }
            let head = try Self.parseHead(buffer[..<end])
            buffer.removeFirst(end + 4)
            if !(100..<200).contains(head.status) { parsedHead = head }  // else an interim answer: skip it
        }
        return parsedHead
    }

    /// The response if it is complete.
    public mutating func response() throws(ControlError) -> ControlResponse? {
        guard let head = try head(), let length = head.length, buffer.count >= length else { return nil }
        return ControlResponse(status: head.status, headers: head.headers, body: Array(buffer.prefix(length)))
    }

    /// The connection ended: a complete response or an error.
    public mutating func finish() throws(ControlError) -> ControlResponse {
        if let response = try response() { return response }
        guard let head = parsedHead, head.length == nil else {
            throw .broken("taskhookd closed the connection before a complete answer")
        }
        return ControlResponse(status: head.status, headers: head.headers, body: buffer)
    }

    /// The body bytes received so far, handed over and forgotten: for a body read as a stream.
    public mutating func takeBody() -> [UInt8] {
        guard parsedHead != nil else { return [] }
        defer { buffer.removeAll() }
        return buffer
    }

    private static func endOfHead(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for i in 0...(bytes.count - 4)
        where bytes[i] == 13 && bytes[i + 1] == 10 && bytes[i + 2] == 13 && bytes[i + 3] == 10 {
            return i
        }
        return nil
    }

    private static func parseHead(_ bytes: ArraySlice<UInt8>) throws(ControlError) -> Head {
        var lines = String(decoding: bytes, as: UTF8.self).split(separator: "\r\n", omittingEmptySubsequences: false)
        let statusLine = lines.removeFirst().split(separator: " ", maxSplits: 2)
        guard statusLine.count >= 2, statusLine[0].hasPrefix("HTTP/1."), let status = Int(statusLine[1]),
            (100...599).contains(status)
        else {
            throw .broken("taskhookd sent something that is not an HTTP/1.1 answer")
        }
        var headers: [ControlResponse.Header] = []
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { throw .broken("taskhookd sent a bad header line") }
            headers.append(.init(String(line[..<colon]), String(line[line.index(after: colon)...]).trimmed))
        }
        let response = ControlResponse(status: status, headers: headers)
        if response.header("Transfer-Encoding") != nil {
            throw .broken("taskhookd sent a Transfer-Encoding this client does not read")
        }
        var length: Int?
        if let text = response.header("Content-Length") {
            guard let value = Int(text), (0...maxBody).contains(value) else {
                throw .broken("taskhookd sent an unusable Content-Length: \(text)")
            }
            length = value
        }
        return Head(status: status, headers: headers, length: length)
    }
}
