/// A complete response. The writer adds Content-Length, Date, Server and Connection.
public struct Response: Sendable, Equatable {
    public var status: HTTPStatus
    public var headers: HTTPFields
    public var body: [UInt8]
    /// Close the connection after this response even if the client would keep it alive.
    public var closeConnection: Bool

    public init(
        status: HTTPStatus, headers: HTTPFields = HTTPFields(), body: [UInt8] = [], closeConnection: Bool = false
    ) {
        self.status = status
        self.headers = headers
        self.body = body
        self.closeConnection = closeConnection
    }

    /// A plain-text response; the text ends with a newline.
    public static func text(_ status: HTTPStatus, _ text: String, headers: HTTPFields = HTTPFields()) -> Response {
        var headers = headers
        headers.append(name: "Content-Type", value: "text/plain; charset=utf-8")
        return Response(status: status, headers: headers, body: Array((text + "\n").utf8))
    }

    /// A JSON response from already-encoded bytes.
    public static func json(_ status: HTTPStatus, _ body: [UInt8]) -> Response {
        Response(status: status, headers: jsonHeaders, body: body)
    }

    /// Made once: every callback is answered with it.
    private static let jsonHeaders = HTTPFields([("Content-Type", "application/json")])
}

/// A request whose body has been read completely.
public struct Request: Sendable, Equatable {
    public var head: RequestHead
    public var body: [UInt8]
    public var trailers: HTTPFields

    public init(head: RequestHead, body: [UInt8] = [], trailers: HTTPFields = HTTPFields()) {
        self.head = head
        self.body = body
        self.trailers = trailers
    }
}
