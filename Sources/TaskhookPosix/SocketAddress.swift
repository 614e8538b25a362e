#if canImport(Glibc)
    import Glibc
#endif

/// Where a socket listens or connects: an IPv4 or IPv6 address with a port, or a Unix path.
public enum SocketAddress: Hashable, Sendable, CustomStringConvertible {
    case ipv4(address: String, port: UInt16)
    case ipv6(address: String, port: UInt16)
    case unix(path: String)

    public struct ParseError: Error, CustomStringConvertible, Equatable {
        public let text: String
        public let reason: String
        public var description: String { "invalid listen address \"\(text)\": \(reason)" }
    }

    /// The longest Unix socket path `sockaddr_un` holds (with its terminating zero).
    public static let maximumUnixPathBytes = MemoryLayout.size(ofValue: sockaddr_un().sun_path) - 1

    /// Fails with ENAMETOOLONG for a Unix path `sockaddr_un` cannot hold, which `withSockaddr`
    /// would otherwise cut short: a bind or connect to some other path. `call` names it.
    func checkFits(_ call: String) throws(SyscallError) {
        if case .unix(let path) = self, path.utf8.count > Self.maximumUnixPathBytes {
            throw SyscallError("\(call)(\(path))", .fileNameTooLong)
        }
    }

    /// Parses `127.0.0.1:8080`, `[::1]:8080`, `unix:/run/x.sock` or an absolute path.
    public init(parsing text: String) throws(ParseError) {
        if text.hasPrefix("unix:") || text.hasPrefix("/") {
            let path = text.hasPrefix("unix:") ? String(text.dropFirst(5)) : text
            guard !path.isEmpty else { throw ParseError(text: text, reason: "empty Unix socket path") }
            guard path.utf8.count <= Self.maximumUnixPathBytes else {
                throw ParseError(text: text, reason: "Unix socket path longer than \(Self.maximumUnixPathBytes) bytes")
            }
            self = .unix(path: path)
            return
        }
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else {
                throw ParseError(text: text, reason: "missing ']' after an IPv6 address")
            }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { throw ParseError(text: text, reason: "missing ':PORT'") }
            portText = rest.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":") else {
                throw ParseError(text: text, reason: "missing ':PORT'")
            }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            guard !host.contains(":") else {
                throw ParseError(text: text, reason: "an IPv6 address needs brackets, as in [::1]:8080")
            }
        }
        guard let port = UInt16(portText), !portText.isEmpty, portText.allSatisfy(\.isASCII) else {
            throw ParseError(text: text, reason: "port must be a number from 0 to 65535")
        }
        if Self.isIPv4(String(host)) {
            self = .ipv4(address: String(host), port: port)
        } else if Self.isIPv6(String(host)) {
            self = .ipv6(address: String(host), port: port)
        } else {
            throw ParseError(text: text, reason: "\"\(host)\" is not a numeric IPv4 or IPv6 address")
        }
    }

    static func isIPv4(_ s: String) -> Bool {
        var a = in_addr()
        return inet_pton(AF_INET, s, &a) == 1
    }

    static func isIPv6(_ s: String) -> Bool {
        var a = in6_addr()
        return inet_pton(AF_INET6, s, &a) == 1
    }

    public var description: String {
        switch self {
        case .ipv4(let a, let p): "\(a):\(p)"
        case .ipv6(let a, let p): "[\(a)]:\(p)"
        case .unix(let path): "unix:\(path)"
        }
    }

    var family: Int32 {
        switch self {
        case .ipv4: AF_INET
        case .ipv6: AF_INET6
        case .unix: AF_UNIX
        }
    }

    /// Calls `body` with this address as a `sockaddr`.
    func withSockaddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        switch self {
        case .ipv4(let address, let port):
            var sa = sockaddr_in()
            sa.sin_family = sa_family_t(AF_INET)
            sa.sin_port = port.bigEndian
            _ = inet_pton(AF_INET, address, &sa.sin_addr)
            return withUnsafePointer(to: &sa) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    body($0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        case .ipv6(let address, let port):
            var sa = sockaddr_in6()
            sa.sin6_family = sa_family_t(AF_INET6)
            sa.sin6_port = port.bigEndian
            _ = inet_pton(AF_INET6, address, &sa.sin6_addr)
            return withUnsafePointer(to: &sa) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    body($0, socklen_t(MemoryLayout<sockaddr_in6>.size))
                }
            }
        case .unix(let path):
            var sa = sockaddr_un()
            sa.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &sa.sun_path) { raw in
                let bytes = Array(path.utf8.prefix(raw.count - 1))
                raw.copyBytes(from: bytes)
                raw[bytes.count] = 0
            }
            return withUnsafePointer(to: &sa) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    body($0, socklen_t(MemoryLayout<sockaddr_un>.size))
                }
            }
        }
    }

    /// Decodes a `sockaddr_storage` filled by the kernel.
    init?(storage: sockaddr_storage) {
        var storage = storage
        switch Int32(storage.ss_family) {
        case AF_INET:
            let sa = withUnsafeBytes(of: &storage) { $0.load(as: sockaddr_in.self) }
            var addr = sa.sin_addr
            var buf = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
            inet_ntop(AF_INET, &addr, &buf, socklen_t(buf.count))
            self = .ipv4(address: Self.string(buf), port: UInt16(bigEndian: sa.sin_port))
        case AF_INET6:
            let sa = withUnsafeBytes(of: &storage) { $0.load(as: sockaddr_in6.self) }
            var addr = sa.sin6_addr
            var buf = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            inet_ntop(AF_INET6, &addr, &buf, socklen_t(buf.count))
            self = .ipv6(address: Self.string(buf), port: UInt16(bigEndian: sa.sin6_port))
        case AF_UNIX:
            let path = withUnsafeBytes(of: &storage) { raw -> String in
                let offset = MemoryLayout<sockaddr_un>.offset(of: \.sun_path)!
                let bytes = raw[offset...].prefix { $0 != 0 }
                return String(decoding: bytes, as: UTF8.self)
            }
            self = .unix(path: path)
        default:
            return nil
        }
    }

    private static func string(_ buf: [CChar]) -> String {
        String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
