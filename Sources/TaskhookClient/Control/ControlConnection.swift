import Glibc
import TaskhookPosix

/// One request on a connection of its own (`Connection: close`): the tiny blocking HTTP/1.1
/// client for the control socket, which URLSession cannot reach. Connections can be
/// multiplexed on `descriptor` (epoll), then finished with `readAvailable`.
public final class ControlConnection {
    private let socket: StreamSocket
    private var parser = ResponseParser()
    public let target: String
    /// A daemon that does not accept within this is unreachable (a dropped packet would
    /// otherwise hold the command for the kernel's SYN retries, about two minutes).
    public static let connectTimeout = Duration.seconds(10)

    /// Connects and sends the request (a GET, or `method` with a JSON `body`).
    public init(_ endpoint: ControlEndpoint, target: String, method: String = "GET", body: [UInt8]? = nil)
        throws(ControlError)
    {
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
        do {
            try socket.writeAll(endpoint.request(method, target, body: body))
        } catch {
            socket.close()
            throw .broken("taskhookd at \(endpoint) closed the connection (\(error.errno))")
        }
    }

    deinit { socket.close() }

    public var descriptor: Int32 { socket.descriptor.rawValue }

    /// Reads what has arrived; returns the answer once it is complete.
    public func readAvailable() throws(ControlError) -> ControlResponse? {
        switch try read() {
        case nil: return try parser.finish()
        case let bytes?:
            parser.feed(bytes)
            return try parser.response()
        }
    }

    /// The next bytes as they arrive, unparsed (a stream's body); nil at the end of the
    /// connection. Waits at most `timeout` (nil: for ever); an empty array means it ran out.
    public func rawChunk(timeout: Duration?) throws(ControlError) -> [UInt8]? {
        guard try ready(timeoutMilliseconds: timeout.map { Int32(clamping: $0.milliseconds + 1) } ?? -1) else {
            return []
        }
        return try read()
    }

    /// Blocks until the whole answer has arrived, or throws `.broken` after `timeout`.
    public func response(timeout: Duration) throws(ControlError) -> ControlResponse {
        let deadline = Instant.now() + timeout
        while true {
            let left = deadline - Instant.now()
            guard left > .zero else { throw .broken("taskhookd did not answer within \(timeout)") }
            if try ready(timeoutMilliseconds: Int32(clamping: left.milliseconds + 1)),
                let response = try readAvailable()
            {
                return response
            }
        }
    }

    /// One request, start to finish.
    public static func get(_ endpoint: ControlEndpoint, _ target: String, timeout: Duration = .seconds(30))
        throws(ControlError) -> ControlResponse
    {
        try ControlConnection(endpoint, target: target).response(timeout: timeout)
    }

    /// One POST of a JSON `body`, start to finish.
    public static func post(
        _ endpoint: ControlEndpoint, _ target: String, body: [UInt8], timeout: Duration = .seconds(30)
    ) throws(ControlError) -> ControlResponse {
        try ControlConnection(endpoint, target: target, method: "POST", body: body).response(timeout: timeout)
    }

    private func ready(timeoutMilliseconds: Int32) throws(ControlError) -> Bool {
        do {
            return try socket.poll(events: Int16(POLLIN), timeoutMilliseconds: timeoutMilliseconds)
        } catch {
            throw .broken("poll: \(error.errno)")
        }
    }

    /// What has arrived: nil at the end of the connection, empty if nothing yet.
    private func read() throws(ControlError) -> [UInt8]? {
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
}
