import Logging
import Prometheus
import TaskhookHTTP
import TaskhookJournal
import TaskhookPosix
import TaskhookState

/// The running daemon: one event loop thread with the listeners, the signals and the routes.
///
/// Start-up, in order: signals blocked (before the writer thread exists), the routes' secrets
/// read, the journal replayed into the task store, the listeners opened; READY=1 only in `run`.
public final class Daemon {
    public enum StartError: Error, CustomStringConvertible {
        case listen(SocketAddress, SyscallError)
        case setup(SyscallError)
        case journal(JournalError)
        case route(String)

        public var description: String {
            switch self {
            case .listen(let address, let error): "cannot listen on \(address): \(error)"
            case .setup(let error): "cannot set up the event loop: \(error)"
            case .journal(let error): "cannot open the journal: \(error)"
            case .route(let reason): reason
            }
        }
    }

    private let logger: Logger
    private let loop: EventLoop
    private let server: HTTPServer
    private let signals: SignalHandler
    private let store: TaskStore
    private let recorder: DeliveryRecorder
    private let heartbeat: ServiceHeartbeat
    private let shutdown: Shutdown
    private let reloader: Reloader?
    private let rereader: UnparsedRereader
    private let deadlines: DeadlineWatch
    private let longIterations: LongIterationLog

    /// `metrics`: the Prometheus registry the executable bootstrapped swift-metrics with, for
    /// `/metrics` (nil: metrics are recorded but not served).
    /// `service`: what systemd passed (notify socket, watchdog, sockets by name).
    /// `reloadConfiguration`: reads the configuration again on SIGHUP.
    public init(
        configuration: DaemonConfiguration, environment: [String: String], logger: Logger,
        metrics registry: PrometheusCollectorRegistry? = nil, service: ServiceManager = ServiceManager(),
        reloadConfiguration: (() throws -> DaemonConfiguration)? = nil
    ) throws(StartError) {
        self.logger = logger
        let descriptors = FileSystem.raiseDescriptorLimit()
        let budgets =
            configuration.server.maxConnections + configuration.control.connectionBudget
            + (configuration.control.admin?.maxConnections ?? 0)
        if descriptors < budgets + 64 {
            logger.warning(
                "the descriptor limit is below the listeners' connection budgets; accept() may fail before them",
                metadata: ["limit": "\(descriptors)", "budgets": "\(budgets)"])
        }
        do {
            signals = try SignalHandler(hangOnSIGUSR2: configuration.hangOnSIGUSR2, logger: logger)
            loop = try EventLoop()
        } catch {
            throw .setup(error)
        }
        let warnings = WarningThrottle(logger: logger)
        loop.reportedIteration = configuration.longIteration
        longIterations = LongIterationLog(loop: loop, logger: logger)
        loop.onLongIteration = { [longIterations] long in longIterations.report(long) }
        server = HTTPServer(loop: loop, configuration: configuration.server) { [warnings] diagnostic in
            switch diagnostic {
            case .acceptFailed(let listener, let error):
                warnings.warning(
                    "accept failed", key: "accept \(listener) \(error.errno)",
                    metadata: ["listener": "\(listener)", "error": "\(error)"])
            case .connectionLimitReached(let listener, let limit):
                warnings.warning(
                    "connection limit reached; answering 503", key: "limit \(listener)",
                    metadata: ["listener": "\(listener)", "limit": "\(limit)"])
            }
        }
        for warning in configuration.warnings { logger.warning("\(warning)") }
        let loader = RouteLoader(environment: environment, logger: logger)
        let webhookRoutes = try loader.routes(configuration)
        let adminToken = try loader.adminToken(configuration.control)

        let journal: JournalStartup.Opened
        do {
            journal = try JournalStartup.open(configuration.journal, logger: logger)
        } catch {
            throw .journal(error)
        }
        let metrics = DaemonMetrics(registry: registry)
        store = TaskStore(table: journal.table, maxWaiters: configuration.control.maxWaiters)
        recorder = DeliveryRecorder(
            writer: journal.writer, store: store, checkpointEvery: configuration.journal.checkpointEvery,
            taskRetentionSeconds: configuration.journal.taskRetentionSeconds, metrics: metrics, logger: logger)
        let routes = PublicRoutes(
            routes: webhookRoutes, discardPaths: configuration.discardPaths, recorder: recorder, metrics: metrics,
            trustedProxies: configuration.trustedProxies, logger: logger, warnings: warnings)
        let rereader = UnparsedRereader(waiting: journal.unparsed, metrics: metrics, logger: logger)
        recorder.onUnparsed = { [unowned rereader] in rereader.add($0) }
        let events = EventStream(store: store, loop: loop, maxSubscribers: configuration.control.maxEventStreams)
        let control = ControlRoutes(
            store: store, loop: loop, events: events,
            metricsText: { [unowned server, unowned loop, store, rereader] in
                metrics.scrape(
                    loop: loop, server: server, table: store.table, waiters: store.waiterCount,
                    subscribers: events.count,
                    unparsed: rereader.waiting.count)
            }, unparsed: { [unowned rereader] in rereader.waiting })
        control.expectations = ExpectationRoutes(
            store: store, recorder: recorder, normalizer: { [unowned routes] in routes.normalizer(forProvider: $0) },
            metrics: metrics)
        deadlines = DeadlineWatch(store: store, recorder: recorder, logger: logger, metrics: metrics)
        let heartbeat = ServiceHeartbeat(loop: loop, service: service) { [unowned server, store, recorder] in
            "tasks \(store.table.count), waiters \(store.waiterCount), deliveries \(recorder.recordedCount), "
                + "connections \(server.connectionCount)"
        }
        self.heartbeat = heartbeat
        shutdown = Shutdown(
            loop: loop, server: server, control: control, recorder: recorder, heartbeat: heartbeat,
            drainTimeout: configuration.drainTimeout, logger: logger)
        let admin = adminToken.map { BearerTokenGate(control, token: $0) }
        let rereadAll = { [unowned rereader, unowned routes, recorder] in
            _ = rereader.reread(routes: { routes.route(configuredAt: $0) }, recorder: recorder)
        }
        self.rereader = rereader
        reloader = reloadConfiguration.map {
            Reloader(
                running: configuration, read: $0, loader: loader, routes: routes, admin: admin, heartbeat: heartbeat,
                logger: logger, reread: rereadAll)
        }

        // From here on the writer thread runs: any failure closes it before it is thrown.
        do throws(StartError) {
            do {
                _ = try loop.register(journal.writer.completionsReady.rawValue, interest: .readable) { [recorder] _ in
                    recorder.takeCompletions()
                }
            } catch {
                throw .setup(error)
            }
            loop.addIterationHook { [recorder] in recorder.submit() }
            // Log lines of an iteration go out in one write (LineLogOutput).
            loop.addIterationHook { LineLogOutput.standardError.flush() }
            try Listeners(server: server, service: service, logger: logger).open(
                configuration, webhooks: routes, control: control, admin: admin)
        } catch {
            recorder.close()
            throw error
        }
        if webhookRoutes.isEmpty {
            // The installed configuration has none: say so, rather than answer 404s silently.
            logger.notice("no webhook routes: every callback is answered 404 until one is added under routes:")
        }
        // What the profiles of this start read of the callbacks earlier ones could not; the
        // loop's first iteration hands the re-read records to the writer.
        rereadAll()
        for route in webhookRoutes {
            logger.info(
                "route",
                metadata: [
                    "route": "\(route.path)\(route.token == nil ? "" : "/<token>")", "provider": "\(route.provider)",
                    "verification": "\(route.verifier == nil ? "none (allow-unsigned)" : "on")",
                ])
        }
    }

    /// Checks a configuration as a start would, without starting: every secret (the routes'
    /// and the admin listener's token) and key is read and parsed, by the code a start runs.
    public static func check(_ configuration: DaemonConfiguration, environment: [String: String]) throws(StartError) {
        let loader = RouteLoader(environment: environment, logger: Logger(label: "taskhookd"))
        _ = try loader.routes(configuration)
        _ = try loader.adminToken(configuration.control)
    }

    /// The addresses actually bound (ports resolved when 0 was configured).
    public var listenAddresses: [SocketAddress] { server.listenerAddresses(named: "http") }

    /// Runs until SIGTERM or SIGINT and a graceful drain.
    public func run() throws(SyscallError) {
        try signals.register(
            on: loop, stop: { [unowned self] name in self.shutdown.begin(signal: name) },
            reload: { [unowned self] in
                guard let reloader = self.reloader, !self.shutdown.isStopping else {
                    self.logger.notice("SIGHUP: no configuration file to read again")
                    return
                }
                reloader.reload()
            })
        for address in listenAddresses {
            logger.info("listening", metadata: ["listener": "http", "address": "\(address)"])
        }
        heartbeat.ready()
        recorder.startForgetting(on: loop)
        deadlines.start(on: loop)
        LineLogOutput.standardError.hold()
        defer { LineLogOutput.standardError.release() }
        try loop.run()
        longIterations.flush()
        logger.info("stopped")
    }
}
