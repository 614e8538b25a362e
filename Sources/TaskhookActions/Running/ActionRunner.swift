import Foundation
import Glibc
import Logging
import TaskhookClient
import TaskhookCore
import TaskhookPosix

/// `taskhook actions run`: reads taskhookd's event stream from the ledger's cursor and carries
/// out what the `ActionScheduler` decides, writing each of its records to the ledger (synced)
/// before acting on it. One thread waits (poll) on the stream, the finished attempts' eventfd
/// and a signal pipe; attempts run on threads of their own. Reconnects with backoff (100 ms doubling
/// to 5 s) while taskhookd is away. SIGTERM or SIGINT: no new attempt starts, the running ones
/// finish (each within its timeout), then `run` returns.
public final class ActionRunner {
    let configuration: ActionsConfiguration
    let endpoint: ControlEndpoint
    let stateDirectory: String
    let environment: [String: String]
    let logger: Logger

    public init(
        configuration: ActionsConfiguration, endpoint: ControlEndpoint, stateDirectory: String,
        environment: [String: String], logger: Logger
    ) {
        self.configuration = configuration
        self.endpoint = endpoint
        self.stateDirectory = stateDirectory
        self.environment = environment
        self.logger = logger
    }

    /// Runs until SIGTERM or SIGINT. Throws when the ledger cannot be written: acting without a
    /// durable record would break the guarantees, so the runner stops (systemd restarts it).
    public func run() throws {
        let signals = try SignalPipe([SIGTERM, SIGINT])
        SignalFD.ignoreSIGPIPE()
        let (ledgerFile, ledger) = try LedgerFile.open(directory: stateDirectory)
        var scheduler = ActionScheduler(configuration: configuration, ledger: ledger)
        try ledgerFile.append(scheduler.restore(now: FileSystem.wallClockMilliseconds()))
        let workers = try AttemptWorkers()
        var metrics = ActionMetrics(actions: configuration.actions.map(\.name))
        let metricsPath = stateDirectory + "/actions.prom"
        var connection = StreamConnection(endpoint: endpoint, logger: logger)
        var stopping = false
        logger.info(
            "actions runner started",
            metadata: [
                "actions": "\(configuration.actions.map(\.name).joined(separator: ","))",
                "cursor": "\(scheduler.ledger.cursor)", "pending": "\(scheduler.ledger.pending.count)",
            ])
        while true {
            if !stopping {
                if !scheduler.ledger.hasCursor, let head = connection.firstCursor(backfill: configuration.backfill) {
                    try ledgerFile.append(scheduler.begin(at: head))
                }
                let (starts, records) = scheduler.start(now: FileSystem.wallClockMilliseconds())
                try ledgerFile.append(records)
                for start in starts { try launch(start, workers) }
            }
            if stopping && scheduler.running.isEmpty { break }
            if !stopping && scheduler.ledger.hasCursor { connection.connectIfDue(since: scheduler.ledger.cursor) }
            metrics.running = scheduler.running.count
            metrics.queued = scheduler.queued
            metrics.cursor = scheduler.ledger.cursor
            metrics.connected = connection.stream != nil
            write(metrics, to: metricsPath)

            var items: [(descriptor: Int32, events: Int16)] = [
                (signals.descriptor, Int16(POLLIN)), (workers.wakeup.rawValue, Int16(POLLIN)),
            ]
            if let stream = connection.stream { items.append((stream.descriptor, Int16(POLLIN))) }
            var wait = connection.waitBeforeNextTry ?? .seconds(1)
            if let due = scheduler.nextDue {
                wait = min(wait, .milliseconds(max(0, due - FileSystem.wallClockMilliseconds())))
            }
            let ready = try Readiness.wait(items, timeoutMilliseconds: Int32(clamping: wait.milliseconds + 1))
            if ready[0] != 0 {
                for signal in signals.take() {
                    logger.notice(
                        "stopping: no new attempts; waiting for the running ones",
                        metadata: ["signal": "\(signal)", "running": "\(scheduler.running.count)"])
                    stopping = true
                }
                connection.close()
            }
            if ready[1] != 0 {
                let now = FileSystem.wallClockMilliseconds()
                for done in workers.takeFinished() {
                    try ledgerFile.append(
                        scheduler.finished(done.key, attempt: done.attempt, outcome: done.outcome, now: now))
                    metrics.record(action: done.key.action, done.outcome)
                    logOutcome(done, final: scheduler.ledger.jobs[done.key]?.isFinal ?? true, scheduler: scheduler)
                }
            }
            for end in connection.read(readable: ready.count > 2 && ready[2] != 0) {
                try ledgerFile.append(scheduler.receive(end))
            }
            try ledgerFile.compactIfLong(scheduler.ledger)
        }
        metrics.running = 0
        write(metrics, to: metricsPath)
        logger.notice("actions runner stopped", metadata: ["cursor": "\(scheduler.ledger.cursor)"])
    }

    private func launch(_ start: ActionScheduler.Start, _ workers: AttemptWorkers) throws {
        var started = Self.metadata(start.key, attempt: start.attempt)
        started["provider"] = "\(start.end.provider)"
        logger.info("attempt started", metadata: started)
        let metadata = started.merging(["output": "1"]) { $1 }
        let endpoint = self.endpoint
        let environment = self.environment
        let logger = self.logger
        try workers.launch(start) {
            Self.perform(start, endpoint: endpoint, environment: environment) { line in
                logger.info("\(line)", metadata: metadata)
            }
        }
    }

    /// One attempt, on its worker thread.
    static func perform(
        _ start: ActionScheduler.Start, endpoint: ControlEndpoint, environment: [String: String],
        line: @escaping (String) -> Void
    ) -> AttemptOutcome {
        switch start.action.work {
        case .command(let arguments, let extra, let pass):
            let invocation = CommandInvocation(
                arguments: arguments, environment: extra, passEnvironment: pass, end: start.end,
                task: taskJSON(start.end.key, endpoint: endpoint), action: start.action.name, attempt: start.attempt,
                runnerEnvironment: environment)
            return CommandRun.run(invocation, timeout: start.action.timeout, output: .captured, line: line)
        case .fetch(let directory):
            return ResultFetcher.fetch(start.end, directory: directory, timeout: start.action.timeout)
        }
    }

    /// The task as `GET /v1/tasks/{key}` answers it, for a command's standard input; nil when the
    /// daemon cannot say (the command then gets the event's JSON).
    public static func taskJSON(_ key: TaskKey, endpoint: ControlEndpoint) -> JSON? {
        guard
            let answer = try? ControlConnection.get(
                endpoint, ControlTarget.task(key.description), timeout: .seconds(10)),
            answer.status == 200
        else { return nil }
        return try? JSON.parse(answer.body)
    }

    private func logOutcome(_ done: AttemptWorkers.Completion, final: Bool, scheduler: ActionScheduler) {
        var metadata = Self.metadata(done.key, attempt: done.attempt)
        metadata["outcome"] = "\(done.outcome.kind.rawValue)"
        metadata["duration_ms"] = "\(done.outcome.durationMilliseconds)"
        if let status = done.outcome.exitStatus { metadata["exit_status"] = "\(status)" }
        if let error = done.outcome.error { metadata["reason"] = "\(error)" }
        for (index, file) in done.outcome.files.enumerated() {
            metadata["file\(index + 1)"] = "\(file.path) \(file.size) bytes sha256 \(file.sha256)"
        }
        switch (done.outcome.kind, final) {
        case (.succeeded, _): logger.info("attempt succeeded", metadata: metadata)
        case (_, false):
            if let due = scheduler.due(done.key) { metadata["retry_at"] = "\(TimeText.iso(milliseconds: due))" }
            logger.warning("attempt failed; it will be retried", metadata: metadata)
        case (_, true): logger.error("attempt failed; no retry left", metadata: metadata)
        }
    }

    static func metadata(_ key: JobKey, attempt: Int) -> Logger.Metadata {
        let id = TaskKey(qualified: key.task)?.id ?? key.task
        return [
            "action": "\(key.action)", "task_id": "\(id)", "task_key": "\(key.task)",
            "journal_seq": "\(key.sequence)", "attempt": "\(attempt)",
        ]
    }

    /// The metrics file, replaced whole (readers never see half of it) when it changed.
    private var writtenMetrics: String?
    private func write(_ metrics: ActionMetrics, to path: String) {
        let text = metrics.text
        guard text != writtenMetrics else { return }
        writtenMetrics = text
        try? Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}
