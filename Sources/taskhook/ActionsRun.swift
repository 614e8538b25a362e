import ArgumentParser
import Foundation
import Logging
import TaskhookActions
import TaskhookClient
import TaskhookSystemd

/// `taskhook actions run`: the actions runner (taskhook-actions.service).
struct ActionsRun: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the configured actions for every task that ends, from taskhookd's event stream.",
        discussion: """
            Keeps a ledger in the state directory: each attempt is recorded (synced) before it starts \
            and its outcome after, and the journal sequence up to which every task end is dealt with. \
            So a crash or restart neither skips an action nor repeats one that finished; one that was \
            running when the runner died runs again once. Runs until SIGTERM or SIGINT, then lets the \
            running attempts finish. Logs to the journal under systemd (ACTION=, TASK_ID=, EXIT_STATUS=, \
            OUTCOME=, …), else to standard error. Exit status: 0 stopped; 74 the ledger cannot be \
            written; 78 a bad configuration.
            """)

    @OptionGroup var file: ActionsFileOptions
    @OptionGroup var state: StateDirectoryOption
    @OptionGroup var connection: ControlOptions

    func run() throws {
        let configuration = try file.load(command: "run")
        let environment = ProcessInfo.processInfo.environment
        var endpoint: ControlEndpoint
        do { endpoint = try connection.endpoint() } catch {
            printError("taskhook actions run: \(error.message)")
            throw ExitStatus.usage
        }
        // The file's control.socket, unless the command line names where to connect.
        if connection.socket == nil, connection.url == nil, environment["TASKHOOK_SOCKET"] == nil,
            let socket = configuration.controlSocket
        {
            endpoint = ControlEndpoint(socketPath: socket)
        }
        if JournaldLogHandler.isAvailable(environment) {
            LoggingSystem.bootstrap { _ in JournaldLogHandler(identifier: "taskhook-actions") }
        } else {
            LoggingSystem.bootstrap { _ in LogLines() }
        }
        let runner = ActionRunner(
            configuration: configuration, endpoint: endpoint, stateDirectory: state.path, environment: environment,
            logger: Logger(label: "taskhook-actions"))
        do {
            try runner.run()
        } catch {
            Logger(label: "taskhook-actions").critical("\(error)")
            throw ExitStatus.ioError
        }
    }
}

/// Log records as plain lines on standard error, `LEVEL message key=value …`, for a runner
/// started outside systemd.
struct LogLines: LogHandler {
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var all = metadata
        if let extra = event.metadata { all.merge(extra) { $1 } }
        var line = "\(event.level.rawValue.uppercased()) \(event.message)"
        for (key, value) in all.sorted(by: { $0.key < $1.key }) {
            let text = "\(value)"
            line += " \(key)=" + (text.contains(" ") || text.isEmpty ? "\"\(text)\"" : text)
        }
        printError(line)
    }
}
