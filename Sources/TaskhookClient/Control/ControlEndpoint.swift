import Foundation
import TaskhookPosix

/// A resolved place to send control requests to: the Unix control socket (the usual way), or
/// the TCP admin listener with its bearer token.
public struct ControlEndpoint: Sendable, Equatable, CustomStringConvertible {
    public enum Transport: Sendable, Equatable {
        case unix(path: String)
        case tcp(host: String, port: UInt16)
    }

    /// Why a `--url` cannot be an admin listener's address.
    public struct InvalidURL: Error, Equatable, CustomStringConvertible {
        public let description: String
    }

    public var transport: Transport
    /// Prepended to every request target (a URL given with a path, e.g. behind a proxy).
    public var pathPrefix = ""
    public var token: String?

    public init(socketPath: String) {
        transport = .unix(path: socketPath)
    }

    /// The admin listener at `http://HOST[:PORT][/PATH]`.
    public init(url text: String, token: String) throws(InvalidURL) {
        guard let url = URLComponents(string: text), let scheme = url.scheme?.lowercased(),
            let host = url.host, !host.isEmpty
        else {
            throw InvalidURL(description: "--url must look like http://HOST:PORT, not \(text)")
        }
        guard scheme == "http" else {
            throw InvalidURL(
                description: "--url must be http://…; the admin listener speaks plain HTTP (use a tunnel for TLS)")
        }
        guard url.query == nil, url.fragment == nil, url.user == nil else {
            throw InvalidURL(description: "--url takes no query, fragment or user: \(text)")
        }
        let port = url.port ?? 80
        guard (1...65535).contains(port) else { throw InvalidURL(description: "--url has an invalid port: \(text)") }
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        transport = .tcp(host: bare, port: UInt16(port))
        var path = url.percentEncodedPath
        while path.hasSuffix("/") { path.removeLast() }
        pathPrefix = path
        self.token = token
    }

    /// The control socket when none is named: $TASKHOOK_SOCKET, else the first of systemd's
    /// $RUNTIME_DIRECTORY (the daemon uses the first), else the system path if it exists, else
    /// the local state directory's.
    public static func defaultSocketPath(
        environment: [String: String], exists: (String) -> Bool = { FileManager.default.fileExists(atPath: $0) }
    ) -> String {
        if let path = environment["TASKHOOK_SOCKET"], !path.isEmpty { return path }
        if let runtime = environment["RUNTIME_DIRECTORY"]?.split(separator: ":").first {
            return runtime + "/control.sock"
        }
        let system = "/run/taskhook/control.sock"
        if exists(system) { return system }
        return "./taskhook-state/control.sock"
    }

    public var description: String {
        switch transport {
        case .unix(let path): "unix:\(path)"
        case .tcp(let host, let port): "http://\(host.contains(":") ? "[\(host)]" : host):\(port)\(pathPrefix)"
        }
    }

    /// The Host header for requests to it.
    public var hostHeader: String {
        switch transport {
        case .unix: "localhost"
        case .tcp(let host, let port): (host.contains(":") ? "[\(host)]" : host) + ":\(port)"
        }
    }

    /// The socket address to connect to (a host name is looked up each time).
    public func address() throws(ControlError) -> SocketAddress {
        switch transport {
        case .unix(let path):
            return .unix(path: path)
        case .tcp(let host, let port):
            guard let first = try? SocketAddress.resolve(host: host, port: port).first else {
                throw .unreachable("cannot resolve the host name \(host)")
            }
            return first
        }
    }

    /// A GET of `target` on a connection of its own, bytes ready to send.
    public func requestHead(_ target: String) -> [UInt8] { request("GET", target) }

    /// A request on a connection of its own, bytes ready to send: with a body, a JSON one.
    public func request(_ method: String, _ target: String, body: [UInt8]? = nil) -> [UInt8] {
        var head = "\(method) \(pathPrefix)\(target) HTTP/1.1\r\nHost: \(hostHeader)\r\n"
        if let token { head += "Authorization: Bearer \(token)\r\n" }
        if let body { head += "Content-Type: application/json\r\nContent-Length: \(body.count)\r\n" }
        head += "Connection: close\r\n\r\n"
        return Array(head.utf8) + (body ?? [])
    }
}
