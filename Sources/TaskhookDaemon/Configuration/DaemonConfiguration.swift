import TaskhookHTTP
import TaskhookJournal
import TaskhookPosix
import TaskhookProviders

/// Everything the daemon needs to run. The defaults serve local use with no file at all.
public struct DaemonConfiguration: Sendable {
    /// Addresses for the public (webhook) listener.
    public var listen: [SocketAddress] = [.ipv4(address: "127.0.0.1", port: 8080)]
    /// `limits.max-body` is the ceiling of every route's `max-body` (12 MiB unless set).
    public var server = HTTPServer.Configuration.withBodyCeiling
    /// How long a graceful stop waits for requests in flight.
    public var drainTimeout: Duration = .seconds(10)
    /// An event loop iteration busy this long is logged, taken apart (`limits.long-iteration`).
    public var longIteration: Duration = .milliseconds(50)
    /// Paths whose POSTs are read and answered 200 without being recorded: for load-testing
    /// the HTTP layer (`make bench`), never for real callbacks.
    public var discardPaths: Set<String> = []
    public var journal = JournalConfiguration()
    public var control = ControlConfiguration()
    public var routes: [RouteConfiguration] = []
    /// Reverse proxies whose forwarding headers name the client (`trusted-proxies:`).
    public var trustedProxies = TrustedProxies.none
    /// Test only (`--test-hang-signal`): on SIGUSR2 the event loop stops forever, so tests can
    /// see the watchdog trip. Never set in production.
    public var hangOnSIGUSR2 = false
    /// Things an operator must hear about at every start (inline secrets, unsigned routes).
    public var warnings: [String] = []

    public init() {}
}

public struct JournalConfiguration: Sendable, Equatable {
    /// Default: `$STATE_DIRECTORY/journal` under systemd, else `./taskhook-state/journal`.
    public var directory: String
    public var options = JournalOptions()
    /// A checkpoint is written after this many records, whatever the table's size (it is
    /// encoded off the loop from a snapshot), and at every clean stop.
    public var checkpointEvery = 100_000
    /// A task not heard of for this long is forgotten (after checkpoints, and hourly), so the
    /// table does not grow with every task ever seen.
    public var taskRetentionSeconds: Int64 = 30 * 24 * 3600

    public init(environment: [String: String] = [:]) {
        directory =
            (environment["STATE_DIRECTORY"].map { $0.split(separator: ":").first.map(String.init) ?? $0 }
                ?? "./taskhook-state") + "/journal"
    }
}

/// The control API's listeners: a Unix socket for local jobs, and an optional TCP listener
/// that requires a bearer token.
public struct ControlConfiguration: Sendable, Equatable {
    /// Default: `$RUNTIME_DIRECTORY/control.sock` under systemd, else `./taskhook-state/control.sock`.
    public var socket: String
    /// Created with this mode (group access for the jobs' group).
    public var socketMode: UInt32 = 0o660
    public var maxWaiters = 65536
    /// `GET /v1/events` streams open at once (`limits.max-event-streams`); 503 beyond.
    public var maxEventStreams = 256
    /// The control socket's own connection budget; nil: sized for waiters (`maxWaiters` plus
    /// room for status, listing and event requests), since each waiting job holds a connection.
    public var maxConnections: Int?
    public var admin: AdminListener?

    /// The control socket's connection budget in force.
    public var connectionBudget: Int { maxConnections ?? maxWaiters + 256 }

    public init(environment: [String: String] = [:]) {
        socket =
            (environment["RUNTIME_DIRECTORY"].map { $0.split(separator: ":").first.map(String.init) ?? $0 }
                ?? "./taskhook-state") + "/control.sock"
    }

}

/// The control API over TCP for jobs on other hosts, behind a bearer token.
public struct AdminListener: Sendable, Equatable {
    /// Where to listen; nil when systemd passes a socket named `admin` (it is used either way).
    public var listen: SocketAddress?
    public var token: SecretSource
    /// This listener's own connection budget.
    public var maxConnections = 1024

    public init(listen: SocketAddress?, token: SecretSource) {
        self.listen = listen
        self.token = token
    }
}

/// A webhook route: where it is served, how it is authenticated, and its provider's profile (which
/// holds the provider's own keys, read into typed values).
public struct RouteConfiguration: Sendable {
    public var path: String
    /// The provider and its settings for this route.
    public var profile: any ProviderProfile
    public var tolerance: Duration = .seconds(300)
    /// A secret path segment: the route is served at `path/<token>` only.
    public var token: SecretSource?
    public var allowUnsigned = false
    /// The largest body the route takes (413 beyond); nil: its provider's default.
    public var maxBody: Int?

    /// What the route takes: its `max-body`, else its provider's default.
    public var bodyLimit: Int { maxBody ?? type(of: profile).defaultMaxBody }

    public init(
        path: String, profile: any ProviderProfile, token: SecretSource? = nil, tolerance: Duration = .seconds(300),
        allowUnsigned: Bool = false
    ) {
        self.path = path
        self.profile = profile
        self.token = token
        self.tolerance = tolerance
        self.allowUnsigned = allowUnsigned
    }

    /// The `provider:` word.
    public var provider: String { type(of: profile).name }
    /// The provider name recorded on events (`name:` for standard-webhooks routes).
    public var name: String { profile.eventProvider }

    /// Whether anything authenticates callbacks on this route.
    public var hasVerification: Bool { profile.hasKeys || token != nil }

    /// Why the route's callbacks cannot be trusted as configured (it names what to add); nil when
    /// they can, or the route says `allow-unsigned: true`.
    public var unverifiedReason: String? {
        guard let missing = profile.missingVerification(hasToken: token != nil, allowUnsigned: allowUnsigned) else {
            return nil
        }
        return "\(provider) route \(path) has no \(missing); add it, or set allow-unsigned: true"
    }
}

extension HTTPServer.Configuration {
    /// The default ceiling of route body limits: room for Replicate's default (10 MiB) and a
    /// little more, well inside what a journal record holds.
    static let defaultBodyCeiling: UInt64 = 12 * 1024 * 1024

    static var withBodyCeiling: HTTPServer.Configuration {
        var configuration = HTTPServer.Configuration()
        configuration.limits.maxBodyBytes = defaultBodyCeiling
        return configuration
    }
}
