import ArgumentParser
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
        var unique: [String] = []
        for id in ids where !unique.contains(id) { unique.append(id) }
        let waiter = TaskWaiter(
            ids: unique, endpoint: try connection.endpoint(), any: any, timeout: timeout?.duration,
            statusLine: statusLine)
        let ending = waiter.run()
        statusLine.clear()
        let report = WaitReport(waiter: waiter, ending: ending, json: json, terminal: statusLine.isEnabled)
        report.write()
        if report.exitStatus.rawValue != 0 { throw report.exitStatus }
    }
}

/// What a finished wait prints, and its exit status.
struct WaitReport {
    let waiter: TaskWaiter
    let ending: TaskWaiter.Ending
    let json: Bool
    /// Standard error is a terminal: say a little more there.
    let terminal: Bool

    /// The tasks the output is about: all of them, or with --any the first to finish.
    var reported: [TaskWaiter.Slot] {
        guard waiter.any else { return waiter.slots }
        return waiter.finishOrder.first.map { [waiter.slots[$0]] } ?? []
    }

    var exitStatus: ExitCode {
        switch ending {
        case .unreachable, .refused:
            return ExitStatus.unavailable
        case .finished, .timedOut:
            if reported.contains(where: { $0.task.terminal && !$0.task.isCompleted }) { return ExitStatus.problems }
            if case .timedOut = ending { return ExitStatus.timedOut }
            return .success
        }
    }

    func write() {
        var output = StandardOutput()
        for slot in reported {
            if json {
                if let body = slot.body { output.write(String(decoding: body, as: UTF8.self) + "\n") }
            } else if slot.task.isCompleted {
                for url in slot.task.results ?? [] { output.write(url + "\n") }
            }
        }
        output.flush()
        for slot in reported { describe(slot) }
        switch ending {
        case .unreachable(let reason):
            printError("taskhook wait: \(reason); gave up")
        case .refused(let reason):
            printError("taskhook wait: \(reason)")
        case .timedOut:
            let pending = waiter.slots.filter { !$0.task.terminal }.map { "\($0.id) (\($0.task.statusText))" }
            let limit = waiter.deadline.map { " after \(elapsedText($0 - waiter.started))" } ?? ""
            printError("taskhook wait: timed out\(limit); not finished: \(pending.joined(separator: ", "))")
        case .finished:
            break
        }
    }

    private func describe(_ slot: TaskWaiter.Slot) {
        let task = slot.task
        guard task.terminal else { return }
        let reason = task.error.map { ": \($0)" } ?? ""
        if task.isCompleted {
            guard terminal else { return }
            let waited = slot.finishedAt.map { " (waited \(elapsedText($0 - waiter.started)))" } ?? ""
            let count = task.results?.count ?? 0
            printError("task \(slot.id) completed" + (count == 0 ? " without result URLs" : "") + waited)
        } else if task.status == "failed" {
            printError("taskhook wait: task \(slot.id) failed\(reason)")
        } else {
            printError("taskhook wait: task \(slot.id) was \(task.status ?? "ended")\(reason)")
        }
    }
}
