import TaskhookHTTP
import TaskhookPosix

/// The reverse proxies (nginx, Caddy) whose `Forwarded` / `X-Forwarded-For` headers are believed,
/// so logs and the journal's peer field name the provider's address rather than the proxy's.
/// A peer that is not one of them could write anything in those headers, so theirs are ignored.
/// The address is for the record only: no decision (verification, limits) depends on it.
public struct TrustedProxies: Sendable, Equatable {
    /// One entry: an address or a CIDR block, or every Unix-socket peer (`unix`).
    enum Entry: Sendable, Equatable {
        case unixSockets
        case network(IPAddress, prefixLength: Int)
    }

    let entries: [Entry]

    public static let none = TrustedProxies(entries: [])

    /// `127.0.0.1`, `::1`, `10.0.0.0/8`, `fd00::/8`, or `unix` (a proxy on the Unix-socket listener).
    public init(parsing texts: [String]) throws(ParseError) {
        var entries: [Entry] = []
        for text in texts {
            if text == "unix" {
                entries.append(.unixSockets)
                continue
            }
            let parts = text.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count <= 2, let address = IPAddress(parsing: String(parts[0])) else {
                throw ParseError(text: text, reason: "expected an IP address, a CIDR block (10.0.0.0/8) or unix")
            }
            var length = address.bytes.count * 8
            if parts.count == 2 {
                guard let given = Int(parts[1]), (0...length).contains(given) else {
                    throw ParseError(text: text, reason: "the prefix length must be 0 to \(length)")
                }
                length = given
            }
            entries.append(.network(address, prefixLength: length))
        }
        self.entries = entries
    }

    init(entries: [Entry]) { self.entries = entries }

    public struct ParseError: Error, CustomStringConvertible, Equatable {
        public let text: String
        public let reason: String
        public var description: String { "\"\(text)\": \(reason)" }
    }

    /// Whether `peer` is one of the trusted proxies.
    func contains(_ peer: SocketAddress?) -> Bool {
        guard !entries.isEmpty else { return false }  // the default: no parsing per callback
        return switch peer {
        case .unix: entries.contains(.unixSockets)
        case .ipv4(let text, _), .ipv6(let text, _): IPAddress(parsing: text).map(contains) ?? false
        case nil: false
        }
    }

    private func contains(_ address: IPAddress) -> Bool {
        entries.contains { entry in
            guard case .network(let network, let length) = entry else { return false }
            return network.matches(address, prefixLength: length)
        }
    }

    /// The client's address as the record should name it: the peer itself unless it is a trusted
    /// proxy; then the nearest address in the forwarding chain that is not a trusted proxy
    /// (walking from the right, since only the hops we trust appended honestly), from `Forwarded`
    /// if present, else `X-Forwarded-For`. A chain that is missing or unreadable leaves the peer.
    func clientAddress(peer: SocketAddress?, fields: HTTPFields) -> String {
        clientAddress(peer: peer, peerText: ConnectionInfo.text(of: peer), fields: fields)
    }

    /// The same for a peer already written as text (`ConnectionInfo.peerText`).
    func clientAddress(peer: SocketAddress?, peerText: String, fields: HTTPFields) -> String {
        guard contains(peer) else { return peerText }
        let forwarded = fields.values("forwarded")
        let chain =
            forwarded.isEmpty
            ? fields.values("x-forwarded-for").flatMap { $0.split(separator: ",") }.map(Self.bare)
            : forwarded.flatMap { $0.split(separator: ",") }.compactMap(Self.forwardedFor)
        guard !chain.isEmpty else { return peerText }
        var client = chain[chain.count - 1]
        for hop in chain.reversed() {
            client = hop
            guard let address = IPAddress(parsing: hop), contains(address) else { break }
        }
        return IPAddress(parsing: client) == nil ? peerText : client
    }

    /// The `for=` node of one `Forwarded` element (RFC 7239 §4): `for=192.0.2.60`,
    /// `for="[2001:db8::1]:4711"`; its port and brackets dropped.
    private static func forwardedFor(_ element: Substring) -> String? {
        for pair in element.split(separator: ";") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, parts[0].trimmingSpaces.lowercased() == "for" else { continue }
            return bare(parts[1])
        }
        return nil
    }

    /// An address without quotes, brackets, port or spaces.
    private static func bare(_ text: Substring) -> String {
        var value = text.trimmingSpaces
        if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = value.dropFirst().dropLast() }
        if value.hasPrefix("["), let close = value.firstIndex(of: "]") {
            return String(value[value.index(after: value.startIndex)..<close])
        }
        // One colon: IPv4 with a port. More: a bare IPv6 address, kept whole.
        if value.filter({ $0 == ":" }).count == 1, let colon = value.firstIndex(of: ":") {
            return String(value[..<colon])
        }
        return String(value)
    }
}

extension Substring {
    fileprivate var trimmingSpaces: Substring {
        var value = self
        while value.first == " " || value.first == "\t" { value = value.dropFirst() }
        while value.last == " " || value.last == "\t" { value = value.dropLast() }
        return value
    }
}
