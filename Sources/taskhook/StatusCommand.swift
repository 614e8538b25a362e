import ArgumentParser
import Foundation

/// `taskhook status ID`: one task as taskhookd knows it.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show one task: status, results, error, deliveries.",
        discussion: "Exit status: 0 the task is known; 1 it is not; 69 taskhookd unreachable; 64 usage error.")

    @Argument(help: ArgumentHelp("The task id.", valueName: "id"))
    var id: String

    @Flag(help: "Print the task as the daemon's JSON.")
    var json = false

    @OptionGroup var connection: ControlOptions

    func validate() throws {
        guard !id.isEmpty, !id.contains("/") else { throw ValidationError("\"\(id)\" cannot be a task id") }
    }

    func run() throws {
        let response = try fetch("/v1/tasks/\(percentEncoded(id))", command: "status", connection: connection)
        switch response.status {
        case 200:
            var output = StandardOutput()
            if json {
                output.write(response.text + "\n")
            } else {
                guard let task = try? TaskView.decode(response.body) else {
                    printError("taskhook status: taskhookd answered with JSON this command does not understand")
                    throw ExitStatus.unavailable
                }
                output.write(Self.summary(task))
            }
            output.flush()
        case 404:
            printError("taskhook status: taskhookd has no task \(id) (no callback for it has arrived)")
            throw ExitStatus.problems
        default:
            throw answerError(response, command: "status")
        }
    }

    static func summary(_ task: TaskView) -> String {
        var lines: [(String, String)] = [
            ("task", task.id), ("provider", task.provider ?? "-"), ("status", task.status ?? "-"),
        ]
        let results = task.results ?? []
        lines.append(("results", results.first ?? "-"))
        lines += results.dropFirst().map { ("", $0) }
        lines.append(("error", task.error ?? "-"))
        lines.append(("first seen", task.firstSeen.map(isoTime(milliseconds:)) ?? "-"))
        lines.append(("updated", task.updated.map(isoTime(milliseconds:)) ?? "-"))
        let deliveries = (task.deliveries ?? []).map { delivery in
            "#\(delivery.sequence) \(isoTime(milliseconds: delivery.time)) \(delivery.status)"
                + (delivery.deliveryID.map { " id=\($0)" } ?? "") + (delivery.applied ? "" : " (not applied)")
        }
        lines.append(("deliveries", deliveries.first ?? "-"))
        lines += deliveries.dropFirst().map { ("", $0) }
        return lines.map { $0.0.padding(toLength: 12, withPad: " ", startingAt: 0) + $0.1 + "\n" }.joined()
    }
}

/// One request for `status` and `tasks`; exits 69 (with the reason) if taskhookd does not answer.
func fetch(_ target: String, command: String, connection: ControlOptions) throws -> ControlResponse {
    do {
        return try ControlRequest.get(try connection.endpoint(), target)
    } catch let error as ControlError {
        printError("taskhook \(command): \(error)")
        throw ExitStatus.unavailable
    }
}

/// An answer other than the ones a command expects: report it and pick the exit status.
func answerError(_ response: ControlResponse, command: String) -> ExitCode {
    switch response.status {
    case 400:
        printError("taskhook \(command): taskhookd rejected the request: \(response.message)")
        return ExitStatus.usage
    case 401, 403:
        printError("taskhook \(command): taskhookd refused the token: \(response.message)")
        return ExitStatus.unavailable
    case 503:
        printError("taskhook \(command): taskhookd is busy or stopping; try again (\(response.message))")
        return ExitStatus.unavailable
    default:
        printError("taskhook \(command): taskhookd answered \(response.status): \(response.message)")
        return ExitStatus.unavailable
    }
}
