import TaskhookPosix

#if canImport(Glibc)
    import Glibc
#endif

/// A response as a test sees it.
public struct TestResponse: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: [UInt8]
    public var text: String { String(decoding: body, as: UTF8.self) }

    public func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }
}

public struct TestClientError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A deliberately simple blocking HTTP/1.1 client that sends exactly the bytes it is given, so
/// tests can send malformed requests, pipeline, trickle bytes or never read.
public final class TestClient {
    public let socket: StreamSocket
    private var buffer: [UInt8] = []

    public init(_ address: SocketAddress) throws {
        socket = try StreamSocket.connect(to: address)
    }

    public func send(_ text: String) throws { try socket.writeAll(Array(text.utf8)) }
    public func send(_ bytes: [UInt8]) throws { try socket.writeAll(bytes) }

    /// Reads more bytes; returns false at end of stream. Throws on timeout.
    @discardableResult
    func fill(timeout: Duration) throws -> Bool {
        guard try socket.poll(events: Int16(POLLIN), timeoutMilliseconds: Int32(timeout.milliseconds)) else {
            throw TestClientError("no data within \(timeout)")
        }
        var chunk = [UInt8](repeating: 0, count: 65536)
        let result = try chunk.withUnsafeMutableBytes { try socket.read(into: $0) }
        switch result {
        case .wouldBlock: return true
        case .done(0): return false
        case .done(let n):
            buffer += chunk[..<n]
            return true
        }
    }

    /// Reads one complete response (Content-Length framed, as taskhookd always answers).
    public func readResponse(timeout: Duration = .seconds(10)) throws -> TestResponse {
        while true {
            if let response = try takeResponse() { return response }
            guard try fill(timeout: timeout) else { throw TestClientError("connection closed before a full response") }
        }
    }

    private func takeResponse() throws -> TestResponse? {
        let terminator: [UInt8] = [13, 10, 13, 10]
        guard buffer.count >= 4,
            let end = (0...(buffer.count - 4)).first(where: { Array(buffer[$0..<$0 + 4]) == terminator })
        else { return nil }
        let head = String(decoding: buffer[..<end], as: UTF8.self)
        var lines = head.split(separator: "\r\n", omittingEmptySubsequences: false)
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else {
            throw TestClientError("bad status line: \(head)")
        }
        let headers = lines.map { line -> (String, String) in
            let colon = line.firstIndex(of: ":")!
            return (String(line[..<colon]), String(line[line.index(after: colon)...].drop { $0 == " " }))
        }
        if status == 100 {
            buffer.removeFirst(end + 4)
            return TestResponse(status: 100, headers: headers, body: [])
        }
        let length = Int(headers.first { $0.0.lowercased() == "content-length" }?.1 ?? "0") ?? 0
        guard buffer.count >= end + 4 + length else { return nil }
        let body = Array(buffer[(end + 4)..<(end + 4 + length)])
        buffer.removeFirst(end + 4 + length)
        return TestResponse(status: status, headers: headers, body: body)
    }

    /// Everything received until `done` says the text so far is enough (a stream's events).
    public func readText(timeout: Duration = .seconds(5), until done: (String) -> Bool) throws -> String {
        let deadline = Instant.now() + timeout
        while !done(String(decoding: buffer, as: UTF8.self)) {
            guard Instant.now() < deadline else {
                throw TestClientError("not enough within \(timeout): \(String(decoding: buffer, as: UTF8.self))")
            }
            guard try fill(timeout: deadline - Instant.now()) else { throw TestClientError("connection closed") }
        }
        return String(decoding: buffer, as: UTF8.self)
    }

    /// True if the peer closes the connection within `timeout` (after any pending bytes).
    public func closedByPeer(within timeout: Duration) -> Bool {
        let deadline = Instant.now() + timeout
        while Instant.now() < deadline {
            do {
                if try !fill(timeout: deadline - Instant.now()) { return true }
            } catch let error as SyscallError where error.errno == .connectionReset {
                return true
            } catch {
                return false
            }
        }
        return false
    }

    /// How a stream ended for `readToEnd`.
    public enum StreamEnd: Equatable, Sendable {
        /// End of stream (FIN) after everything sent.
        case orderly
        /// ECONNRESET: what was in flight may be lost.
        case reset
        /// Neither within the time given.
        case timedOut
    }

    /// Everything received until the stream ends, and how it ended.
    public func readToEnd(timeout: Duration = .seconds(5)) -> (text: String, end: StreamEnd) {
        let deadline = Instant.now() + timeout
        var end = StreamEnd.timedOut
        while Instant.now() < deadline {
            do {
                if try !fill(timeout: deadline - Instant.now()) {
                    end = .orderly
                    break
                }
            } catch let error as SyscallError where error.errno == .connectionReset {
                end = .reset
                break
            } catch {
                break
            }
        }
        return (String(decoding: buffer, as: UTF8.self), end)
    }

    /// Closes with RST instead of FIN.
    public func reset() {
        socket.setResetOnClose()
        socket.close()
    }

    public func close() { socket.close() }
}

/// GET /healthz on a fresh connection; the simplest proof a server is serving.
public func healthCheck(_ address: SocketAddress) throws -> Int {
    let client = try TestClient(address)
    try client.send("GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
    return try client.readResponse().status
}
