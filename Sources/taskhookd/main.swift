import ArgumentParser
import Logging
import TaskhookDaemon
import TaskhookPosix

@main
struct Taskhookd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "taskhookd",
        abstract: "Receives AI video task callbacks, records them durably, and wakes the jobs waiting for them.")

    @Option(
        name: .customLong("listen"),
        help: ArgumentHelp(
            "Address for the webhook listener (repeatable): 127.0.0.1:8080, [::1]:8080, unix:/path.",
            valueName: "address"))
    var listen: [String] = ["127.0.0.1:8080"]

    @Option(help: "Connections beyond this are answered 503 and closed.")
    var maxConnections: Int = 4096

    @Option(help: ArgumentHelp("Seconds a graceful stop waits for requests in flight.", valueName: "seconds"))
    var drainTimeout: Double = 10

    @Option(
        name: .customLong("discard"),
        help: ArgumentHelp(
            "Also answer 200 to POSTs on PATH without recording them (load tests only; repeatable).", valueName: "path")
    )
    var discard: [String] = []

    func validate() throws {
        guard maxConnections > 0 else { throw ValidationError("--max-connections must be at least 1") }
        guard drainTimeout >= 0, drainTimeout.isFinite else { throw ValidationError("--drain-timeout must be ≥ 0") }
        for path in discard where !path.hasPrefix("/") {
            throw ValidationError("--discard \(path): a path must start with '/'")
        }
        for address in listen {
            do { _ = try SocketAddress(parsing: address) } catch { throw ValidationError("--listen: \(error)") }
        }
    }

    func run() throws {
        LoggingSystem.bootstrap { LineLogHandler(label: $0) }
        let logger = Logger(label: "taskhookd")
        var configuration = DaemonConfiguration()
        configuration.listen = try listen.map { try SocketAddress(parsing: $0) }
        configuration.server.maxConnections = maxConnections
        configuration.drainTimeout = .milliseconds(Int64(drainTimeout * 1000))
        configuration.discardPaths = Set(discard)
        do {
            let daemon = try Daemon(configuration: configuration, logger: logger)
            try daemon.run()
        } catch {
            logger.critical("\(error)")
            throw ExitCode(1)
        }
    }
}
