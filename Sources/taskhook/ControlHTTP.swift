import Foundation
import Glibc
import TaskhookPosix

/// Why a control request got no answer.
enum ControlError: Error, CustomStringConvertible {
    /// Nothing to talk to: no socket file, connection refused, an unknown host.
    case unreachable(String)
    /// A connection was made but no complete answer came: closed early, reset, timed out, garbled.
    case broken(String)

    var description: String {
        switch self {
        case .unreachable(let reason), .broken(let reason): reason
        }
    }
}

/// An answer from the daemon.
struct ControlResponse {
    var status: Int
    var headers: [(String, String)]
    var body: [UInt8]

    func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }

    var text: String { String(decoding: body, as: UTF8.self) }

    /// The daemon's reason: `{"error": …}` for JSON answers, else the text (trimmed).
    var message: String {
        struct ErrorBody: Decodable { var error: String }
        if let decoded = try? decodeJSON(ErrorBody.self, from: body) { return decoded.error }
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return trimmed.isEmpty ? "HTTP \(status)" : trimmed
    }

    /// Retry-After in seconds, when the daemon sent one.
    var retryAfter: Duration? {
        header("Retry-After").flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }.map { .seconds(max(0, $0)) }
    }
}

/// One `GET` on a connection of its own (`Connection: close`): the tiny blocking HTTP/1.1
/// client the command line uses for the control socket, which URLSession cannot reach.
/// Requests can be multiplexed with poll(2) on `descriptor`, then finished with `readAvailable`.
final class ControlRequest {
    private let socket: StreamSocket
    private var parser = ResponseParser()
    let target: String
    /// A daemon that does not accept within this is unreachable (a dropped packet would
    /// otherwise hold the command for the kernel's SYN retries, about two minutes).
    static let connectTimeout = Duration.seconds(10)

    init(_ endpoint: ControlEndpoint, target: String) throws(ControlError) {
        self.target = target
        let address = try endpoint.address()
        do {
            socket = try StreamSocket.connect(to: address, timeout: Self.connectTimeout)
        } catch {
            var reason = "taskhookd is not reachable at \(endpoint) (\(error.errno))"
            if error.errno == .permissionDenied {
                reason += "; the control socket is for its owner and group: is this user in that group?"
            }
            throw .unreachable(reason)
        }
        var head = "GET \(endpoint.pathPrefix)\(target) HTTP/1.1\r\nHost: \(endpoint.hostHeader)\r\n"
        if let token = endpoint.token { head += "Authorization: Bearer \(token)\r\n" }
        head += "Connection: close\r\n\r\n"
        do {
            try socket.writeAll(Array(head.utf8))
        } catch {
            socket.close()
            throw .broken("taskhookd at \(endpoint) closed the connection (\(error.errno))")
        }
    }

    deinit { socket.close() }

    var descriptor: Int32 { socket.descriptor.rawValue }

    /// Reads what has arrived; returns the answer once it is complete.
    func readAvailable() throws(ControlError) -> ControlResponse? {
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        let result = chunk.withUnsafeMutableBytes { raw in
            Result { () throws(SyscallError) in try socket.read(into: raw) }
        }
        switch result {
        case .failure(let error):
            throw .broken("the connection to taskhookd failed (\(error.errno))")
        case .success(.wouldBlock):
            return nil
        case .success(.done(0)):
            return try parser.finish()
        case .success(.done(let count)):
            parser.feed(chunk[..<count])
            return try parser.response()
        }
    }

    /// The next bytes as they arrive, unparsed (a stream's body); nil at the end of the
    /// connection. Waits at most `timeout` (nil: for ever); an empty array means it ran out.
    func rawChunk(timeout: Duration?) throws(ControlError) -> [UInt8]? {
        let ready: Bool
        do {
            ready = try socket.poll(
                events: Int16(POLLIN), timeoutMilliseconds: timeout.map { Int32(clamping: $0.milliseconds + 1) } ?? -1)
        } catch {
            throw .broken("poll: \(error.errno)")
        }
        guard ready else { return [] }
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        let result = chunk.withUnsafeMutableBytes { raw in
            Result { () throws(SyscallError) in try socket.read(into: raw) }
        }
        switch result {
        case .failure(let error): throw .broken("the connection to taskhookd failed (\(error.errno))")
        case .success(.wouldBlock): return []
        case .success(.done(0)): return nil
        case .success(.done(let count)): return Array(chunk[..<count])
        }
    }

    /// Blocks until the whole answer has arrived, or throws `.broken` after `timeout`.
    func response(timeout: Duration) throws(ControlError) -> ControlResponse {
        let deadline = Instant.now() + timeout
        while true {
            let left = deadline - Instant.now()
            guard left > .zero else { throw .broken("taskhookd did not answer within \(timeout)") }
            let ready: Bool
            do {
                ready = try socket.poll(
                    events: Int16(POLLIN), timeoutMilliseconds: Int32(clamping: left.milliseconds + 1))
            } catch {
                throw .broken("poll: \(error.errno)")
            }
            if ready, let response = try readAvailable() { return response }
        }
    }

    /// One request, start to finish.
    static func get(_ endpoint: ControlEndpoint, _ target: String, timeout: Duration = .seconds(30))
        throws(ControlError) -> ControlResponse
    {
        try ControlRequest(endpoint, target: target).response(timeout: timeout)
    }
}

/// Reads one HTTP/1.1 response: status line, headers, then a Content-Length body (the daemon
/// always sends one; without it the body runs to the end of the connection).
struct ResponseParser {
    static let maxHead = 64 * 1024
    static let maxBody = 256 * 1024 * 1024

    private var buffer: [UInt8] = []
    private var head: (status: Int, headers: [(String, String)], bodyStart: Int, length: Int?)?

    mutating func feed(_ bytes: ArraySlice<UInt8>) { buffer += bytes }

    /// The response if it is complete.
    mutating func response() throws(ControlError) -> ControlResponse? {
        if head == nil {
            guard let end = Self.endOfHead(buffer) else {
                guard buffer.count <= Self.maxHead else { throw .broken("taskhookd sent an oversized header") }
                return nil
            }
            head = try Self.parseHead(buffer[..<end], bodyStart: end + 4)
            if let parsed = head, (100..<200).contains(parsed.status) {  // an interim answer: skip it
                buffer.removeFirst(parsed.bodyStart)
                head = nil
                return try response()
            }
        }
        guard let head, let length = head.length, buffer.count - head.bodyStart >= length else { return nil }
        let body = Array(buffer[head.bodyStart..<head.bodyStart + length])
        return ControlResponse(status: head.status, headers: head.headers, body: body)
    }

    /// The connection ended: a complete response or an error.
    mutating func finish() throws(ControlError) -> ControlResponse {
        if let response = try response() { return response }
        guard let head, head.length == nil else {
            throw .broken("taskhookd closed the connection before a complete answer")
        }
        return ControlResponse(status: head.status, headers: head.headers, body: Array(buffer[head.bodyStart...]))
    }

    private static func endOfHead(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for i in 0...(bytes.count - 4)
        where bytes[i] == 13 && bytes[i + 1] == 10 && bytes[i + 2] == 13 && bytes[i + 3] == 10 {
            return i
        }
        return nil
    }

    private static func parseHead(_ bytes: ArraySlice<UInt8>, bodyStart: Int) throws(ControlError) -> (
        status: Int, headers: [(String, String)], bodyStart: Int, length: Int?
    ) {
        var lines = String(decoding: bytes, as: UTF8.self).split(separator: "\r\n", omittingEmptySubsequences: false)
        let statusLine = lines.removeFirst().split(separator: " ", maxSplits: 2)
        guard statusLine.count >= 2, statusLine[0].hasPrefix("HTTP/1."), let status = Int(statusLine[1]),
            (100...599).contains(status)
        else {
            throw .broken("taskhookd sent something that is not an HTTP/1.1 answer")
        }
        var headers: [(String, String)] = []
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { throw .broken("taskhookd sent a bad header line") }
            headers.append(
                (String(line[..<colon]), String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces))
            )
        }
        if headers.contains(where: { $0.0.lowercased() == "transfer-encoding" }) {
            throw .broken("taskhookd sent a Transfer-Encoding this client does not read")
        }
        var length: Int?
        if let text = headers.first(where: { $0.0.lowercased() == "content-length" })?.1 {
            guard let value = Int(text), (0...maxBody).contains(value) else {
                throw .broken("taskhookd sent an unusable Content-Length: \(text)")
            }
            length = value
        }
        return (status, headers, bodyStart, length)
    }
}

extension ControlEndpoint {
    var hostHeader: String {
        switch transport {
        case .unix: "localhost"
        case .tcp(let host, let port): (host.contains(":") ? "[\(host)]" : host) + ":\(port)"
        }
    }
}

/// Percent-encodes everything but RFC 3986's unreserved characters: safe in a path segment
/// and in a query value (the daemon reads `+` as a space, so it is encoded too).
func percentEncoded(_ text: String) -> String {
    var out = ""
    for byte in text.utf8 {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
            UInt8(ascii: "~"):
            out.unicodeScalars.append(Unicode.Scalar(byte))
        default:
            out += "%" + (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: true)
        }
    }
    return out
}

/// Host names for `--url` (getaddrinfo, first stream address).
enum HostLookup {
    static func first(_ host: String) -> String? {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &list) == 0, let first = list else { return nil }
        defer { freeaddrinfo(list) }
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        switch first.pointee.ai_family {
        case AF_INET:
            var address = first.pointee.ai_addr.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee }
            guard inet_ntop(AF_INET, &address.sin_addr, &buffer, socklen_t(buffer.count)) != nil else { return nil }
        case AF_INET6:
            var address = first.pointee.ai_addr.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee }
            guard inet_ntop(AF_INET6, &address.sin6_addr, &buffer, socklen_t(buffer.count)) != nil else { return nil }
        default:
            return nil
        }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
