import ArgumentParser
import TaskhookClient
import TaskhookPosix

/// `taskhook wait`: block a batch job until its tasks finish, then hand it the result URLs.
struct WaitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wait",
        abstract: "Wait until tasks finish and print their result URLs.",
        discussion: """
            Long-polls taskhookd's control API, so the callback wakes the wait as soon as it is on disk; a \
            task may be waited for before taskhookd has heard of it. If taskhookd stops or restarts during the \
            wait, the wait reconnects until the timeout (the journal keeps the task); if it cannot be reached \
            at the start, the wait gives up after 5 seconds.

            Standard output gets only the result URLs, one a line (with --json, each task's JSON, one object \
            a line); with --all, of every task that completed; with --any, of the first task to finish. On a \
            terminal, a live status line is shown on standard error.

            Exit status: 0 all tasks (with --any, the first one) completed; 1 a task failed or was canceled; \
            124 timed out; 69 taskhookd unreachable or refusing; 64 usage error.
            """)

    @Argument(help: ArgumentHelp("The task ids (the provider's task_id or request_id).", valueName: "id"))
    var ids: [String]

    @Option(
        help: ArgumentHelp(
            "Give up after this long: 90s, 10m, 2h, 1h30m, or seconds (default: no limit).", valueName: "duration"))
    var timeout: DurationArgument?

    @Flag(help: "Wait until every task has finished (the default).")
    var all = false

    @Flag(help: "Return as soon as one task has finished.")
    var any = false

    @Flag(help: "Print each task as the daemon's JSON, one object a line, instead of its result URLs.")
    var json = false

    @OptionGroup var connection: ControlOptions

    func validate() throws {
        guard !ids.isEmpty else { throw ValidationError("give at least one task id") }
        guard !(all && any) else { throw ValidationError("--all and --any exclude each other") }
        if let bad = ids.first(where: { $0.isEmpty || $0.contains("/") }) {
            throw ValidationError("\"\(bad)\" cannot be a task id (empty, or contains '/')")
        }
    }

    func run() throws {
        let statusLine = StatusLine()
        let endpoint = try connection.endpoint()
        var waiter = TaskWaiter(
            ids: ids, endpoint: endpoint.description, mode: any ? .any : .all, timeout: timeout?.duration,
            now: Instant.now(), ticks: statusLine.isEnabled)
        WaitLoop(endpoint: endpoint, statusLine: statusLine).run(&waiter)
        statusLine.clear()
        WaitReport(waiter: waiter, json: json, terminal: statusLine.isEnabled).write()
        let status = waiter.exitStatus
        if status != .completed { throw ExitCode(status.rawValue) }
    }
}

/// What a finished wait prints.
struct WaitReport {
    let waiter: TaskWaiter
    let json: Bool
    /// Standard error is a terminal: say a little more there.
    let terminal: Bool

    func write() {
        var output = StandardOutput()
        for task in waiter.reported {
            if json {
                if let body = task.body { output.write(String(decoding: body, as: UTF8.self) + "\n") }
            } else if task.view.isCompleted {
                for url in task.view.results ?? [] { output.write(url + "\n") }
            }
        }
        output.flush()
        for task in waiter.reported { describe(task) }
        switch waiter.ending {
        case .unreachable(let reason):
            printError("taskhook wait: \(reason); gave up")
        case .refused(let reason):
            printError("taskhook wait: \(reason)")
        case .timedOut:
            let pending = waiter.tasks.filter { !$0.view.terminal }.map { "\($0.id) (\($0.view.statusText))" }
            let limit = waiter.deadline.map { " after \(TimeText.elapsed($0 - waiter.started))" } ?? ""
            printError("taskhook wait: timed out\(limit); not finished: \(pending.joined(separator: ", "))")
        case .finished, nil:
            break
        }
    }

    private func describe(_ task: TaskWaiter.Tracked) {
        let view = task.view
        guard view.terminal else { return }
        let reason = view.error.map { ": \($0)" } ?? ""
        if view.isCompleted {
            guard terminal else { return }
            let waited = task.finishedAt.map { " (waited \(TimeText.elapsed($0 - waiter.started)))" } ?? ""
            let count = view.results?.count ?? 0
            printError("task \(task.id) completed" + (count == 0 ? " without result URLs" : "") + waited)
        } else if view.status == "failed" {
            printError("taskhook wait: task \(task.id) failed\(reason)")
        } else {
            printError("taskhook wait: task \(task.id) was \(view.status ?? "ended")\(reason)")
        }
    }
}
