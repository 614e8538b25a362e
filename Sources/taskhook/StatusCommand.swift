import ArgumentParser
import TaskhookClient

/// `taskhook status ID`: one task as taskhookd knows it.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show one task: status, results, error, deliveries.",
        discussion: "Exit status: 0 the task is known; 1 it is not; 69 taskhookd unreachable; 64 usage error.")

    @Argument(
        help: ArgumentHelp(
            "The task: provider:id, or its id alone when only one provider has it.", valueName: "id"))
    var id: String

    @Flag(help: "Print the task as the daemon's JSON.")
    var json = false

    @OptionGroup var connection: ControlOptions

    func validate() throws {
        guard !id.isEmpty, !id.contains("/") else { throw ValidationError("\"\(id)\" cannot be a task id") }
    }

    func run() throws {
        let response = try connection.get(ControlTarget.task(id), command: "status")
        switch response.status {
        case 200:
            try writeTask(response, json: json, command: "status")
        case 404:
            printError("taskhook status: taskhookd has no task \(id) (no callback for it has arrived)")
            throw ExitStatus.problems
        default:
            throw answerError(response, command: "status")
        }
    }
}
