import ArgumentParser
// FoundationEssentials, not Foundation: swift-crypto loads it anyway, and Foundation would add
// about 6 MiB to the daemon's idle memory (see README, "Why libyaml and not Yams").
import FoundationEssentials
import Logging
import Metrics
import Prometheus
import TaskhookDaemon
import TaskhookJournal
import TaskhookPosix
import TaskhookSystemd

@main
struct Taskhookd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "taskhookd",
        abstract: "Receives AI video task callbacks, records them durably, and wakes the jobs waiting for them.",
        discussion: """
            With no --config the daemon runs on its embedded defaults: 127.0.0.1:8080, GET /healthz, the journal \
            under ./taskhook-state (or $STATE_DIRECTORY), no webhook routes. Options given here override the file.
            """)

    @Option(help: ArgumentHelp("The YAML configuration file (see config/taskhook.yaml).", valueName: "file"))
    var config: String?

    @Flag(help: "Validate the configuration (and read its secrets), print a summary, and exit.")
    var checkConfig = false

    @Option(
        name: .customLong("listen"),
        help: ArgumentHelp(
            "Address for the webhook listener (repeatable): 127.0.0.1:8080, [::1]:8080, unix:/path.",
            valueName: "address"))
    var listen: [String] = []

    @Option(help: ArgumentHelp("The journal directory.", valueName: "directory"))
    var journalDir: String?

    @Option(help: ArgumentHelp("The control API's Unix socket.", valueName: "path"))
    var controlSocket: String?

    @Option(help: ArgumentHelp("fdatasync every batch (always) or never (none; development only).", valueName: "mode"))
    var journalSync: String?

    @Option(help: "Connections beyond this are answered 503 and closed.")
    var maxConnections: Int?

    @Option(help: ArgumentHelp("Seconds a graceful stop waits for requests in flight.", valueName: "seconds"))
    var drainTimeout: Double?

    @Option(
        name: .customLong("discard"),
        help: ArgumentHelp(
            "Also answer 200 to POSTs on PATH without recording them (load tests only; repeatable).",
            valueName: "path"))
    var discard: [String] = []

    @Flag(
        help: ArgumentHelp(
            "Test only: on SIGUSR2 the event loop hangs, so the systemd watchdog can be seen to trip.",
            visibility: .hidden))
    var testHangSignal = false

    func validate() throws {
        if let maxConnections, maxConnections < 1 { throw ValidationError("--max-connections must be at least 1") }
        // A day is far beyond any sensible drain, and keeps the milliseconds well inside Int64.
        if let drainTimeout, !(0...86_400).contains(drainTimeout) {
            throw ValidationError("--drain-timeout must be between 0 and 86400 seconds")
        }
        if let journalSync, JournalOptions.Sync(rawValue: journalSync) == nil {
            throw ValidationError("--journal-sync must be always or none")
        }
        for path in discard where !path.hasPrefix("/") {
            throw ValidationError("--discard \(path): a path must start with '/'")
        }
        for address in listen {
            do { _ = try SocketAddress(parsing: address) } catch { throw ValidationError("--listen: \(error)") }
        }
    }

    func run() throws {
        let environment = ProcessInfo.processInfo.environment
        // Under systemd, structured records to the journal; else plain lines on stderr.
        if JournaldLogHandler.isAvailable(environment) {
            LoggingSystem.bootstrap { _ in JournaldLogHandler(identifier: "taskhookd") }
        } else {
            LoggingSystem.bootstrap { LineLogHandler(label: $0) }
        }
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        // fdatasync takes tens of microseconds on good disks and can take seconds on sick ones.
        factory.durationHistogramBuckets["taskhook_journal_fsync_seconds"] = [
            .microseconds(50), .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1),
            .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
            .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(5),
        ]
        factory.valueHistogramBuckets["taskhook_journal_batch_records"] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 1024]
        MetricsSystem.bootstrap(factory)
        let logger = Logger(label: "taskhookd")
        var configuration: DaemonConfiguration
        do {
            configuration = try loadConfiguration(environment: environment)
        } catch {
            logger.critical("configuration: \(error)")
            throw ExitCode(78)  // EX_CONFIG
        }
        if checkConfig {
            do {
                try Daemon.check(configuration, environment: environment)
            } catch {
                logger.critical("configuration: \(error)")
                throw ExitCode(78)
            }
            print(
                "configuration ok: \(configuration.routes.count) route(s), journal \(configuration.journal.directory)")
            for warning in configuration.warnings { print("warning: \(warning)") }
            return
        }
        do {
            let daemon = try Daemon(
                configuration: configuration, environment: environment, logger: logger, metrics: registry,
                service: ServiceManager.fromEnvironment(environment),
                reloadConfiguration: config == nil ? nil : { try self.loadConfiguration(environment: environment) })
            try daemon.run()
        } catch {
            logger.critical("\(error)")
            throw ExitCode(1)
        }
    }

    func loadConfiguration(environment: [String: String]) throws -> DaemonConfiguration {
        var configuration = DaemonConfiguration()
        configuration.journal = JournalConfiguration(environment: environment)
        configuration.control = ControlConfiguration(environment: environment)
        if let config {
            let text: String
            do {
                let file = try File.openForReading(config)
                defer { file.close() }
                text = String(decoding: try file.read(count: try file.size(), at: 0), as: UTF8.self)
            } catch {
                throw ValidationError("cannot read \(config): \(error.errno)")
            }
            configuration = try DaemonConfiguration.parse(yaml: text, environment: environment)
        }
        if !listen.isEmpty { configuration.listen = try listen.map { try SocketAddress(parsing: $0) } }
        if let journalDir { configuration.journal.directory = journalDir }
        if let controlSocket { configuration.control.socket = controlSocket }
        if let sync = journalSync.flatMap(JournalOptions.Sync.init(rawValue:)) {
            configuration.journal.options.sync = sync
        }
        if let maxConnections { configuration.server.maxConnections = maxConnections }
        if let drainTimeout { configuration.drainTimeout = .milliseconds(Int64(drainTimeout * 1000)) }
        configuration.discardPaths.formUnion(discard)
        configuration.hangOnSIGUSR2 = testHangSignal
        return configuration
    }
}
