import Logging
import Prometheus
import SystemPackage
import TaskhookCore
import TaskhookHTTP
import TaskhookJournal
import TaskhookPosix
import TaskhookState

#if canImport(Glibc)
    import Glibc
#endif

/// The running daemon: one event loop thread with the listeners, the signals and the routes.
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

    private let configuration: DaemonConfiguration
    private let logger: Logger
    private let loop: EventLoop
    private let server: HTTPServer
    private let signals: SignalFD
    private let store: TaskStore
    private let recorder: DeliveryRecorder
    private let control: ControlRoutes
    private let routes: PublicRoutes
    private let service: ServiceManager
    private let reloadConfiguration: (() throws -> DaemonConfiguration)?
    private let environment: [String: String]
    private var statusTimer: EventLoop.TimerID?
    private var watchdogTimer: EventLoop.TimerID?
    private var forgetTimer: EventLoop.TimerID?
    private var stopping = false

    /// Blocks the signals it handles (call before starting any other thread), creates the loop
    /// and binds every listener, so a bad address fails the start.
    /// `metrics`: the Prometheus registry the executable bootstrapped swift-metrics with, for
    /// `/metrics` (nil: metrics are recorded but not served).
    /// `service`: what systemd passed (notify socket, watchdog, sockets by name).
    /// `reloadConfiguration`: reads the configuration again on SIGHUP.
    public init(
        configuration: DaemonConfiguration, environment: [String: String], logger: Logger,
        metrics registry: PrometheusCollectorRegistry? = nil, service: ServiceManager = ServiceManager(),
        reloadConfiguration: (() throws -> DaemonConfiguration)? = nil
    ) throws(StartError) {
        self.configuration = configuration
        self.logger = logger
        self.service = service
        self.reloadConfiguration = reloadConfiguration
        self.environment = environment
        SignalFD.ignoreSIGPIPE()
        let descriptors = FileSystem.raiseDescriptorLimit()
        if descriptors < configuration.server.maxConnections + 64 {
            logger.warning(
                "the descriptor limit is below max-connections; accept() will fail before the limit is reached",
                metadata: ["limit": "\(descriptors)", "max_connections": "\(configuration.server.maxConnections)"])
        }
        do {
            signals = try SignalFD([SIGTERM, SIGINT, SIGHUP] + (configuration.hangOnSIGUSR2 ? [SIGUSR2] : []))
            loop = try EventLoop()
        } catch {
            throw .setup(error)
        }
        server = HTTPServer(loop: loop, configuration: configuration.server)
        server.onDiagnostic = { [logger] diagnostic in
            switch diagnostic {
            case .acceptFailed(let listener, let error):
                logger.warning("accept failed", metadata: ["listener": "\(listener)", "error": "\(error)"])
            case .connectionLimitReached(let limit):
                logger.warning("connection limit reached; answering 503", metadata: ["limit": "\(limit)"])
            }
        }
        for warning in configuration.warnings { logger.warning("\(warning)") }
        let webhookRoutes = try Self.buildRoutes(configuration, environment: environment, logger: logger)
        let directory = JournalDirectory(path: configuration.journal.directory)
        let replay: JournalReplay.Result
        let writer: GroupCommitWriter
        let replayStarted = Instant.now()
        do {
            replay = try JournalReplay.open(directory)
            writer = try GroupCommitWriter(
                directory: directory, recovery: replay.recovery, options: configuration.journal.options)
        } catch {
            throw .journal(error)
        }
        if let cut = replay.recovery.truncated {
            logger.warning(
                "journal: dropped a torn tail left by a crash",
                metadata: [
                    "file": "\(cut.file)", "offset": "\(cut.offset)", "dropped_bytes": "\(cut.droppedBytes)",
                    "reason": "\(cut.reason)",
                ])
        }
        for problem in replay.skippedCheckpoints {
            logger.warning(
                "journal: passed over a damaged checkpoint",
                metadata: ["file": "\(problem.file)", "reason": "\(problem.reason)"])
        }
        logger.info(
            "journal replayed",
            metadata: [
                "directory": "\(directory.path)", "journal_seq": "\(replay.recovery.lastSequence)",
                "checkpoint": "\(replay.checkpoint)", "replayed": "\(replay.replayed)",
                "tasks": "\(replay.table.count)",
                "took_ms": "\((Instant.now() - replayStarted).milliseconds)",
                "sync": "\(configuration.journal.options.sync.rawValue)",
            ])
        let metrics = DaemonMetrics(registry: registry)
        store = TaskStore(table: replay.table, maxWaiters: configuration.control.maxWaiters)
        recorder = DeliveryRecorder(
            writer: writer, store: store, checkpointEvery: configuration.journal.checkpointEvery,
            taskRetentionSeconds: configuration.journal.taskRetentionSeconds, metrics: metrics, logger: logger)
        routes = PublicRoutes(
            routes: webhookRoutes, discardPaths: configuration.discardPaths, recorder: recorder, logger: logger)
        routes.metrics = metrics
        let events = EventStream(store: store, loop: loop)
        control = ControlRoutes(store: store, loop: loop, events: events) { [unowned server, store] in
            metrics.scrape(server: server, table: store.table, waiters: store.waiterCount, subscribers: events.count)
        }
        do {
            _ = try loop.register(writer.completionsReady.rawValue, interest: .readable) { [recorder] _ in
                recorder.takeCompletions()
            }
            loop.addIterationHook { [recorder] in recorder.submit() }
            // Log lines of an iteration go out in one write (LineLogOutput).
            loop.addIterationHook { LineLogOutput.standardError.flush() }
        } catch {
            writer.close()
            throw .setup(error)
        }
        do {
            try openPublicListeners()
        } catch {
            writer.close()
            throw error
        }
        do {
            try openControlListeners(configuration.control, environment: environment)
        } catch {
            writer.close()
            throw error
        }
        for route in webhookRoutes {
            logger.info(
                "route",
                metadata: [
                    "route": "\(route.path)\(route.token == nil ? "" : "/<token>")", "provider": "\(route.provider)",
                    "verification": "\(route.verifier == nil ? "none (allow-unsigned)" : "on")",
                ])
        }
    }

    /// The webhook listeners: the sockets systemd passed as "http", else those the configuration names.
    private func openPublicListeners() throws(StartError) {
        let passed = service.sockets(named: "http")
        for other in service.sockets where other.name != "http" && other.name != "control" {
            logger.warning("ignoring a socket passed by the service manager", metadata: ["name": "\(other.name)"])
        }
        if !passed.isEmpty {
            for fd in passed {
                do {
                    try server.addListener(ListeningSocket(adopting: fd), name: "http", handler: routes)
                } catch {
                    throw .setup(error)
                }
            }
            return
        }
        for address in configuration.listen {
            do {
                try server.addListener(ListeningSocket(binding: address), name: "http", handler: routes)
            } catch {
                throw .listen(address, error)
            }
        }
    }

    /// The Unix control socket (created with its mode, its directory made if missing) and the
    /// optional admin listener behind a bearer token. A "control" socket from systemd is used as given.
    private func openControlListeners(_ control: ControlConfiguration, environment: [String: String]) throws(StartError)
    {
        if let fd = service.sockets(named: "control").first {
            do {
                let socket = try ListeningSocket(adopting: fd)
                try server.addListener(socket, name: "control", handler: self.control)
                logger.info(
                    "listening", metadata: ["listener": "control", "address": "\(socket.address)", "passed": "true"])
            } catch {
                throw .setup(error)
            }
            return try openAdminListener(control, environment: environment)
        }
        let path = control.socket
        if let slash = path.lastIndex(of: "/"), slash != path.startIndex {
            do { try FileSystem.createDirectories(String(path[..<slash])) } catch { throw .setup(error) }
        }
        let address = SocketAddress.unix(path: path)
        do throws(SyscallError) {
            let socket = try ListeningSocket(binding: address)
            guard chmod(path, mode_t(control.socketMode)) == 0 else {
                throw SyscallError("chmod(\(path))", Errno(rawValue: errno))
            }
            try server.addListener(socket, name: "control", handler: self.control)
        } catch {
            throw .listen(address, error)
        }
        logger.info("listening", metadata: ["listener": "control", "address": "\(address)"])
        try openAdminListener(control, environment: environment)
    }

    private func openAdminListener(_ control: ControlConfiguration, environment: [String: String]) throws(StartError) {
        guard let admin = control.admin, let token = try Self.adminToken(control, environment: environment) else {
            return
        }
        do {
            let socket = try ListeningSocket(binding: admin.listen)
            try server.addListener(socket, name: "admin", handler: BearerTokenGate(self.control, token: token))
            logger.info("listening", metadata: ["listener": "admin", "address": "\(socket.address)"])
        } catch {
            throw .listen(admin.listen, error)
        }
    }

    /// Checks a configuration as a start would, without starting: every secret (the routes'
    /// and the admin listener's token) and key is read and parsed, by the code a start runs.
    public static func check(_ configuration: DaemonConfiguration, environment: [String: String]) throws(StartError) {
        _ = try buildRoutes(configuration, environment: environment, logger: Logger(label: "taskhookd"))
        _ = try adminToken(configuration.control, environment: environment)
    }

    /// The webhook routes, their secrets and keys read: at start, on reload and for --check-config.
    static func buildRoutes(_ configuration: DaemonConfiguration, environment: [String: String], logger: Logger)
        throws(StartError) -> [WebhookRoute]
    {
        do {
            return try configuration.routes.map { route throws(RouteFactory.Failure) in
                try RouteFactory.build(route, secrets: SecretReader(environment: environment), logger: logger)
            }
        } catch {
            throw .route(error.description)
        }
    }

    /// The admin listener's bearer token, if it has one.
    static func adminToken(_ control: ControlConfiguration, environment: [String: String]) throws(StartError)
        -> String?
    {
        guard let admin = control.admin else { return nil }
        do {
            return try SecretReader(environment: environment).read(admin.token)
        } catch {
            throw .route("control.admin.token: \(error)")
        }
    }

    /// The addresses actually bound (ports resolved when 0 was configured).
    public var listenAddresses: [SocketAddress] { server.listenerAddresses(named: "http") }

    /// Runs until SIGTERM or SIGINT and a graceful drain.
    public func run() throws(SyscallError) {
        _ = try loop.register(signals.descriptor.rawValue, interest: .readable) { [unowned self] _ in
            self.readSignals()
        }
        for address in listenAddresses {
            logger.info("listening", metadata: ["listener": "http", "address": "\(address)"])
        }
        // Ready only now: the journal is replayed and every listener is open.
        service.notifier?.notify("READY=1\nSTATUS=\(statusText)")
        if service.notifier != nil {
            let timer = loop.addTimer { [unowned self] in
                self.service.notifier?.notify("STATUS=\(self.statusText)")
                self.loop.setTimer(self.statusTimer!, deadline: self.loop.now + .seconds(1))
            }
            statusTimer = timer
            loop.setTimer(timer, deadline: loop.now + .seconds(1))
        }
        if let interval = service.watchdogInterval, let notifier = service.notifier {
            // Pinged from the loop itself, so a stuck loop stops the pings and trips the watchdog.
            let half = Duration.nanoseconds(Int64(interval.nanoseconds / 2))
            let timer = loop.addTimer { [unowned self] in
                notifier.notify("WATCHDOG=1")
                self.loop.setTimer(self.watchdogTimer!, deadline: self.loop.now + half)
            }
            watchdogTimer = timer
            notifier.notify("WATCHDOG=1")
            loop.setTimer(timer, deadline: loop.now + half)
        }
        // Tasks past their retention are forgotten at every checkpoint; this also does it at
        // start and then hourly, for a daemon too quiet to reach a checkpoint for days.
        let forget = loop.addTimer { [unowned self] in
            self.recorder.forgetExpiredTasks()
            self.loop.setTimer(self.forgetTimer!, deadline: self.loop.now + .seconds(3600))
        }
        forgetTimer = forget
        loop.setTimer(forget, deadline: loop.now)
        LineLogOutput.standardError.hold()
        defer { LineLogOutput.standardError.release() }
        try loop.run()
        logger.info("stopped")
    }

    private func readSignals() {
        while let signal = try? signals.next() {
            switch signal {
            case SIGTERM, SIGINT:
                beginStop(signal: signal)
            case SIGHUP:
                reload()
            case SIGUSR2 where configuration.hangOnSIGUSR2:
                logger.critical("test hang requested: the event loop stops here (--test-hang-signal)")
                while true { sleep(3600) }
            default:
                break
            }
        }
    }

    /// The one-line state shown by `systemctl status`.
    var statusText: String {
        "tasks \(store.table.count), waiters \(store.waiterCount), deliveries \(recorder.recordedCount), "
            + "connections \(server.connectionCount)"
    }

    /// SIGHUP: read the configuration, secrets and keys again and use the new routes. A bad new
    /// configuration is logged with its reason and the running one kept. Listeners, the journal
    /// and limits stay as they are (they need a restart; a change to them is logged).
    private func reload() {
        guard let reloadConfiguration, !stopping else {
            logger.notice("SIGHUP: no configuration file to read again")
            return
        }
        let monotonic = Instant.now().nanoseconds / 1000
        service.notifier?.notify("RELOADING=1\nMONOTONIC_USEC=\(monotonic)\nSTATUS=reloading")
        defer { service.notifier?.notify("READY=1\nSTATUS=\(statusText)") }
        let next: DaemonConfiguration
        let built: [WebhookRoute]
        do {
            next = try reloadConfiguration()
            built = try Self.buildRoutes(next, environment: environment, logger: logger)
        } catch {
            logger.error("reload rejected; the running configuration stays", metadata: ["reason": "\(error)"])
            return
        }
        for warning in next.warnings { logger.warning("\(warning)") }
        if next.listen != configuration.listen || next.journal != configuration.journal
            || next.control != configuration.control
            || next.server.limits != configuration.server.limits
        {
            logger.warning("reload: listen, journal, control and limits changes take effect at the next restart")
        }
        routes.replaceRoutes(built)
        logger.info("reloaded", metadata: ["routes": "\(built.count)"])
    }

    private func beginStop(signal: Int32) {
        guard !stopping else { return }
        stopping = true
        service.notifier?.notify("STOPPING=1\nSTATUS=stopping")
        logger.info(
            "stopping: draining connections",
            metadata: [
                "signal": "\(signal == SIGTERM ? "SIGTERM" : "SIGINT")", "connections": "\(server.connectionCount)",
                "drain_timeout": "\(configuration.drainTimeout)",
            ])
        control.shutdown()
        server.drain(deadline: loop.now + configuration.drainTimeout) { [unowned self] in
            self.finish()
        }
    }

    /// After the drain: a last checkpoint, every queued record written, then the loop ends.
    private func finish() {
        recorder.checkpoint()
        recorder.writer.close()
        recorder.takeCompletions()
        if recorder.pendingCount > 0 {
            logger.error("records still pending at exit", metadata: ["count": "\(recorder.pendingCount)"])
        }
        loop.stop()
    }
}
