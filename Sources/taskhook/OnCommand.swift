import ArgumentParser
import Foundation
import TaskhookActions
import TaskhookClient
import TaskhookCore
import TaskhookPosix

/// `taskhook on STATUS [TASK] -- COMMAND…`: one action tried from the shell, the command run as
/// `taskhook actions run` would run it (same environment, same standard input) but in the
/// foreground, its output on the terminal.
struct OnCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "on",
        abstract: "Run a command when the next task (or the task named) reaches a status, as an action would.",
        discussion: """
            STATUS is completed, failed, canceled or any. Without TASK, the command runs for the next task \
            that ends so from now on (the event stream); with TASK (provider:id, or its id), once that task \
            has ended, at once if it has. The command gets the task's JSON on standard input and TASK_ID, \
            TASK_STATUS, TASK_PROVIDER, TASK_KEY, TASK_RESULT_URL, TASK_RESULT_URLS, TASK_ERROR, \
            TASK_EXTERNAL_ID, TASK_SEQUENCE, ACTION_NAME (on), ACTION_ATTEMPT and PATH, nothing else; it is \
            started directly (execve), never through a shell. Exit status: the command's (128 + a signal's \
            number if one ended it; 127 if it cannot be started); 1 the task ended otherwise; 124 nothing \
            ended within --timeout; 69 taskhookd unreachable; 64 usage error.
            """)

    @Argument(help: ArgumentHelp("completed, failed, canceled or any.", valueName: "status"))
    var status: String

    @Argument(help: ArgumentHelp("A task (provider:id, or its id) instead of the next one.", valueName: "task"))
    var task: String?

    @Option(help: ArgumentHelp("Only tasks of this provider.", valueName: "name"))
    var provider: String?

    @Option(help: ArgumentHelp("Give up waiting after this long (e.g. 30s, 10m).", valueName: "duration"))
    var timeout: DurationArgument?

    @OptionGroup var connection: ControlOptions

    @Argument(
        parsing: .postTerminator, help: ArgumentHelp("The program and its arguments, after --.", valueName: "command"))
    var command: [String] = []

    func validate() throws {
        guard ActionTrigger.statuses(named: status) != nil else {
            throw ValidationError("STATUS must be \(ActionTrigger.statusWords), not \(status)")
        }
        guard let program = command.first, !program.isEmpty else {
            throw ValidationError("give the command after --: taskhook on \(status) -- PROGRAM [ARGUMENT…]")
        }
    }

    func run() throws {
        let endpoint: ControlEndpoint
        do { endpoint = try connection.endpoint() } catch {
            printError("taskhook on: \(error.message)")
            throw ExitStatus.usage
        }
        let trigger = ActionTrigger(
            statuses: ActionTrigger.statuses(named: status)!, providers: provider.map { [$0] } ?? [])
        let deadline = timeout.map { Instant.now() + $0.duration }
        let (end, task) =
            try self.task.map { try ended($0, endpoint: endpoint, deadline: deadline) }
            ?? next(trigger, endpoint: endpoint, deadline: deadline)
        guard trigger.matches(end) else {
            printError("taskhook on: \(end.key) ended \(end.status.rawValue), not \(status); the command is not run")
            throw ExitStatus.problems
        }
        printError("taskhook on: \(end.key) \(end.status.rawValue); running \(command[0])")
        let invocation = CommandInvocation(
            arguments: command, environment: [:], passEnvironment: [], end: end, task: task, action: "on", attempt: 1,
            runnerEnvironment: ProcessInfo.processInfo.environment)
        let outcome = CommandRun.run(invocation, timeout: nil, output: .inherited)
        guard let exitStatus = outcome.exitStatus else {
            printError("taskhook on: \(outcome.error ?? "the command did not run")")
            throw ExitCode(127)
        }
        if exitStatus != 0 { throw ExitCode(exitStatus) }
    }

    /// The next task end the trigger matches, from the event stream (only what happens from now on).
    private func next(_ trigger: ActionTrigger, endpoint: ControlEndpoint, deadline: Instant?) throws -> (
        TaskEnd, JSON?
    ) {
        var since = UInt64.max  // nothing stored: only what arrives from now on
        var everConnected = false
        while true {
            do {
                let stream = try EventSubscription(endpoint, since: since, follow: true, task: nil)
                everConnected = true
                var announced = false
                while let events = try stream.next(timeout: left(deadline)) {
                    // From the stream's head on, every change reaches this subscriber.
                    if stream.isStreaming && !announced {
                        printError("taskhook on: waiting for a task to end \(status)")
                        announced = true
                    }
                    for event in events {
                        since = event.id
                        guard let end = TaskEnd(try EventView.parse(event.data)), trigger.matches(end) else { continue }
                        return (end, ActionRunner.taskJSON(end.key, endpoint: endpoint))
                    }
                    try checkDeadline(deadline)
                }
            } catch let error as ExitCode {
                throw error
            } catch {
                guard everConnected else {
                    printError("taskhook on: \(error)")
                    throw ExitStatus.unavailable
                }
                printError("taskhook on: \(error); reconnecting")
            }
            try checkDeadline(deadline)
            Thread.sleep(forTimeInterval: 0.5)
        }
    }

    /// The named task once it has ended, waiting for it with long polls.
    private func ended(_ reference: String, endpoint: ControlEndpoint, deadline: Instant?) throws -> (TaskEnd, JSON?) {
        while true {
            let seconds = deadline.map { max(0, Int(($0 - Instant.now()).milliseconds / 1000)) } ?? 300
            let answer = try connection.get(ControlTarget.task(reference, wait: min(seconds, 300)), command: "on")
            guard answer.status == 200 else {
                if answer.status == 404 {
                    printError("taskhook on: taskhookd has no task \(reference)")
                    throw ExitStatus.problems
                }
                throw answerError(answer, command: "on")
            }
            let view = try TaskView.parse(answer.body)
            if let end = TaskEnd(task: view) { return (end, try? JSON.parse(answer.body)) }
            try checkDeadline(deadline)
        }
    }

    private func left(_ deadline: Instant?) -> Duration? {
        deadline.map { max(.milliseconds(1), $0 - Instant.now()) }
    }

    private func checkDeadline(_ deadline: Instant?) throws {
        guard let deadline, Instant.now() >= deadline else { return }
        printError("taskhook on: no task ended \(status) within \(timeout!.duration)")
        throw ExitStatus.timedOut
    }
}
