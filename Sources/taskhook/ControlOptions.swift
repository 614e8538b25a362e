import ArgumentParser
import Foundation
import TaskhookPosix

/// How to reach the control API, shared by `wait`, `status` and `tasks`: the Unix control
/// socket (the usual way), or the TCP admin listener with its bearer token.
struct ControlOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "The control socket (default: $TASKHOOK_SOCKET, else $RUNTIME_DIRECTORY/control.sock, else "
                + "/run/taskhook/control.sock if it exists, else ./taskhook-state/control.sock).",
            valueName: "path"))
    var socket: String?

    @Option(help: ArgumentHelp("The admin listener instead of the socket, as http://HOST:PORT.", valueName: "url"))
    var url: String?

    @Option(help: ArgumentHelp("The admin listener's bearer token (default: $TASKHOOK_TOKEN).", valueName: "token"))
    var token: String?

    func validate() throws {
        _ = try endpoint()
    }

    /// Where to connect, from the options and the environment.
    func endpoint(environment: [String: String] = ProcessInfo.processInfo.environment) throws(ValidationError)
        -> ControlEndpoint
    {
        if let url {
            guard socket == nil else { throw ValidationError("give --socket or --url, not both") }
            guard let token = token ?? environment["TASKHOOK_TOKEN"], !token.isEmpty else {
                throw ValidationError("--url needs --token or $TASKHOOK_TOKEN (the admin listener's bearer token)")
            }
            return try ControlEndpoint(url: url, token: token)
        }
        guard token == nil else { throw ValidationError("--token goes with --url; the control socket needs none") }
        let path = socket ?? Self.defaultSocket(environment: environment)
        guard !path.isEmpty, path.utf8.count <= SocketAddress.maximumUnixPathBytes else {
            throw ValidationError(
                "the socket path must be 1 to \(SocketAddress.maximumUnixPathBytes) bytes long: \(path)")
        }
        return ControlEndpoint(socketPath: path)
    }

    static func defaultSocket(environment: [String: String]) -> String {
        if let path = environment["TASKHOOK_SOCKET"], !path.isEmpty { return path }
        // systemd may list several runtime directories; the daemon uses the first.
        if let runtime = environment["RUNTIME_DIRECTORY"]?.split(separator: ":").first {
            return runtime + "/control.sock"
        }
        let system = "/run/taskhook/control.sock"
        if FileManager.default.fileExists(atPath: system) { return system }
        return "./taskhook-state/control.sock"
    }
}

/// A resolved place to send control requests to.
struct ControlEndpoint: CustomStringConvertible {
    enum Transport {
        case unix(path: String)
        case tcp(host: String, port: UInt16)
    }

    var transport: Transport
    /// Prepended to every request target (a URL given with a path, e.g. behind a proxy).
    var pathPrefix = ""
    var token: String?

    init(socketPath: String) {
        transport = .unix(path: socketPath)
    }

    init(url text: String, token: String) throws(ValidationError) {
        guard let url = URLComponents(string: text), let scheme = url.scheme?.lowercased(),
            let host = url.host, !host.isEmpty
        else {
            throw ValidationError("--url must look like http://HOST:PORT, not \(text)")
        }
        guard scheme == "http" else {
            throw ValidationError("--url must be http://…; the admin listener speaks plain HTTP (use a tunnel for TLS)")
        }
        guard url.query == nil, url.fragment == nil, url.user == nil else {
            throw ValidationError("--url takes no query, fragment or user: \(text)")
        }
        let port = url.port ?? 80
        guard (1...65535).contains(port) else { throw ValidationError("--url has an invalid port: \(text)") }
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        transport = .tcp(host: bare, port: UInt16(port))
        var path = url.percentEncodedPath
        while path.hasSuffix("/") { path.removeLast() }
        pathPrefix = path
        self.token = token
    }

    var description: String {
        switch transport {
        case .unix(let path): "unix:\(path)"
        case .tcp(let host, let port): "http://\(host.contains(":") ? "[\(host)]" : host):\(port)\(pathPrefix)"
        }
    }

    /// The socket address to connect to (a host name is looked up each time).
    func address() throws(ControlError) -> SocketAddress {
        switch transport {
        case .unix(let path):
            return .unix(path: path)
        case .tcp(let host, let port):
            if let numeric = try? SocketAddress(parsing: host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)") {
                return numeric
            }
            guard let resolved = HostLookup.first(host) else {
                throw .unreachable("cannot resolve the host name \(host)")
            }
            return resolved.contains(":") ? .ipv6(address: resolved, port: port) : .ipv4(address: resolved, port: port)
        }
    }
}
