import ArgumentParser
import TaskhookActions
import TaskhookClient

/// `taskhook actions check`: reads the actions as `actions run` would, and says what runs when.
struct ActionsCheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check the actions: section and each program and directory it names.",
        discussion: "Exit status: 0 fine; 78 a problem (each named, with its key's line).")

    @OptionGroup var file: ActionsFileOptions

    func run() throws {
        let configuration = try file.load(command: "check")
        var output = StandardOutput()
        output.write("\(file.path): \(configuration.actions.count) action(s), \(configuration.concurrency) at once\n")
        for action in configuration.actions {
            let on = action.trigger.statuses.map(\.rawValue).sorted().joined(separator: ",")
            let providers =
                action.trigger.providers.isEmpty ? "" : " from \(action.trigger.providers.joined(separator: ","))"
            let work: String
            switch action.work {
            case .command(let arguments, _, _): work = "run \(arguments.joined(separator: " "))"
            case .fetch(let directory): work = "fetch into \(directory)"
            }
            output.write(
                "  \(action.name): on \(on)\(providers): \(work) (timeout \(TimeText.elapsed(action.timeout)), retries \(action.retry.retries))\n"
            )
        }
        output.flush()
    }
}
