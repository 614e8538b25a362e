/// Every bound the server enforces while reading. All are configurable.
public struct HTTPLimits: Sendable, Equatable {
    /// Request line, CRLF excluded (414 beyond).
    public var maxRequestLineBytes = 8 * 1024
    /// Header section (or trailer section), request line excluded (431 beyond).
    public var maxHeaderBytes = 16 * 1024
    public var maxHeaderCount = 100
    /// Body bytes after chunked decoding (413 beyond).
    public var maxBodyBytes: UInt64 = 1024 * 1024
    /// One chunk-size line with its extensions.
    public var maxChunkLineBytes = 4 * 1024
    /// From a request's first byte until its header section is complete (408).
    public var headerTimeout: Duration = .seconds(10)
    /// From the end of the header section until the body is complete (408).
    public var bodyTimeout: Duration = .seconds(30)
    /// A keep-alive connection with no request in progress is closed after this.
    public var idleTimeout: Duration = .seconds(60)
    /// A connection whose peer takes none of its pending output for this long is closed.
    public var writeTimeout: Duration = .seconds(30)
    /// After a connection's last answer, how long what the peer still sends is read and dropped
    /// while waiting for it to close (lingering close) before the socket is closed anyway.
    public var lingerTimeout: Duration = .seconds(5)
    /// Unsent output above which the connection stops reading (and processing pipelined requests).
    public var maxPendingOutputBytes = 256 * 1024

    public init() {}
}
