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
        let utf8 = target.utf8
        var start = utf8.startIndex
        if utf8.first != UInt8(ascii: "/"), let colon = utf8.firstIndex(of: UInt8(ascii: ":")),
            utf8[colon...].starts(with: "://".utf8)
        {
            // absolute-form: drop scheme and authority
            let authority = utf8.index(colon, offsetBy: 3)
            start =
                utf8[authority...].firstIndex { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") } ?? utf8.endIndex
        }
        let mark = utf8[start...].firstIndex(of: UInt8(ascii: "?"))
        let path = String(target[start..<(mark ?? utf8.endIndex)])
        let query = mark.map { String(target[utf8.index(after: $0)...]) }
        return (path.isEmpty ? "/" : path, query)
    }
}
