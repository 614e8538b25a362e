import TaskhookHTTP
import TaskhookPosix

/// Everything the daemon needs to run. The defaults serve local use with no file at all.
public struct DaemonConfiguration: Sendable {
    /// Addresses for the public (webhook) listener.
    public var listen: [SocketAddress] = [.ipv4(address: "127.0.0.1", port: 8080)]
    public var server = HTTPServer.Configuration()
    /// How long a graceful stop waits for requests in flight.
    public var drainTimeout: Duration = .seconds(10)
    /// Paths whose POSTs are read and answered 200 without being recorded: for load-testing
    /// the HTTP layer (`make bench`), never for real callbacks.
    public var discardPaths: Set<String> = []

    public init() {}
}
