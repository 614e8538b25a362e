public enum HTTPVersion: Sendable, Hashable, CustomStringConvertible {
    case http10
    case http11

    public var description: String { self == .http10 ? "HTTP/1.0" : "HTTP/1.1" }
}

/// How the body of a request is delimited.
public enum BodyFraming: Sendable, Hashable {
    case none
    case contentLength(UInt64)
    case chunked
}

/// A parsed request line and header section.
public struct RequestHead: Sendable, Equatable {
    public var method: String
    /// The request-target exactly as received.
    public var target: String
    /// The path of the target (for absolute-form, the part after the authority; "/" if empty).
    public var path: String
    /// The query without '?', if any.
    public var query: String?
    public var version: HTTPVersion
    public var fields: HTTPFields
    public var framing: BodyFraming
    /// Whether the client may send another request on this connection after this one.
    public var keepAlive: Bool
    /// The client sent `Expect: 100-continue` and waits for a 100 before sending the body.
    public var expectsContinue: Bool

    public init(
        method: String, target: String, version: HTTPVersion = .http11, fields: HTTPFields = HTTPFields(),
        framing: BodyFraming = .none, keepAlive: Bool = true, expectsContinue: Bool = false
    ) {
        self.method = method
        self.target = target
        let (path, query) = RequestHead.split(target: target)
        self.path = path
        self.query = query
        self.version = version
        self.fields = fields
        self.framing = framing
        self.keepAlive = keepAlive
        self.expectsContinue = expectsContinue
    }

    static func split(target: String) -> (String, String?) {
        var rest = Substring(target)
        if !rest.hasPrefix("/"), let colon = rest.firstIndex(of: ":"), rest[colon...].hasPrefix("://") {
            // absolute-form: drop scheme and authority
            rest = rest[colon...].dropFirst(3)
            if let slash = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) {
                rest = rest[slash...]
            } else {
                rest = ""
            }
        }
        let query: String?
        if let mark = rest.firstIndex(of: "?") {
            query = String(rest[rest.index(after: mark)...])
            rest = rest[..<mark]
        } else {
            query = nil
        }
        return (rest.isEmpty ? "/" : String(rest), query)
    }
}
