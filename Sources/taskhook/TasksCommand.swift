import ArgumentParser
import TaskhookClient
import TaskhookCore

/// `taskhook tasks`: the tasks taskhookd knows, filtered, oldest update first.
struct TasksCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tasks",
        abstract: "List tasks, least recently updated first.",
        discussion: """
            Follows the API's pages until --limit tasks are listed. --since takes an ISO-8601 time \
            (2025-01-31T12:00:00Z, 2025-01-31; UTC unless an offset is given), a duration ago (30m, 2h, 7d) \
            or milliseconds since the epoch, and keeps tasks updated at or after it. Exit status: 0 listed \
            (even none); 69 taskhookd unreachable; 64 usage error.
            """)

    struct StatusFilter: ExpressibleByArgument {
        var status: TaskStatus

        init?(argument: String) {
            guard let status = TaskStatus(rawValue: argument) else { return nil }
            self.status = status
        }

        static var allValueStrings: [String] { TaskStatus.allCases.map(\.rawValue) }
    }

    @Option(help: ArgumentHelp("Only tasks with this status.", valueName: "status"))
    var status: StatusFilter?

    @Option(help: ArgumentHelp("Only tasks of this provider (the route's provider, e.g. freepik).", valueName: "name"))
    var provider: String?

    @Option(
        help: ArgumentHelp("Only tasks whose caller's own id (Kling's external_task_id) is this.", valueName: "id"))
    var external: String?

    @Flag(help: "List the authentic callbacks no profile reads yet (journaled as unparsed), not tasks.")
    var unparsed = false

    @Option(help: ArgumentHelp("Only tasks updated at or after this time.", valueName: "time"))
    var since: TimeArgument?

    @Option(help: "List at most this many tasks.")
    var limit = 100

    @Flag(help: "Print each task as the daemon's JSON, one object a line.")
    var json = false

    @OptionGroup var connection: ControlOptions

    func validate() throws {
        guard limit >= 1 else { throw ValidationError("--limit must be at least 1") }
    }

    func run() throws {
        if unparsed {
            try listUnparsed()
            return
        }
        let pages = try collect()
        var output = StandardOutput()
        if json {
            for text in pages.json { output.write(text + "\n") }
        } else if pages.tasks.isEmpty {
            printError("no matching tasks")
        } else {
            output.write(TaskView.table(pages.tasks))
        }
        output.flush()
    }

    /// `--unparsed`: one line each, sequence, route, provider and reason (or the JSON objects).
    func listUnparsed() throws {
        let response = try connection.get(ControlTarget.unparsed, command: "tasks")
        guard response.status == 200 else { throw answerError(response, command: "tasks") }
        guard let entries = (try? JSONParser.parse(response.body))?["unparsed"]?.array else {
            printError("taskhook tasks: taskhookd answered with JSON this command does not understand")
            throw ExitStatus.unavailable
        }
        var output = StandardOutput()
        if entries.isEmpty { printError("no unparsed callbacks") }
        for entry in entries {
            if json {
                output.write(entry.text + "\n")
            } else {
                let fields = ["sequence", "route", "provider", "reason"].map {
                    entry[$0]?.string ?? entry[$0]?.numberText ?? ""
                }
                output.write(fields.joined(separator: "  ") + "\n")
            }
        }
        output.flush()
    }

    /// Pages through the listing until `limit` tasks or the end.
    func collect() throws -> TaskPage {
        var all = TaskPage(tasks: [], json: [], next: nil)
        repeat {
            let response = try connection.get(target(after: all.next, count: limit - all.tasks.count), command: "tasks")
            guard response.status == 200 else { throw answerError(response, command: "tasks") }
            guard let page = try? TaskPage.parse(response.body) else {
                printError("taskhook tasks: taskhookd answered with JSON this command does not understand")
                throw ExitStatus.unavailable
            }
            all.tasks += page.tasks
            all.json += page.json
            all.next = page.next
        } while all.next != nil && all.tasks.count < limit
        return TaskPage(tasks: Array(all.tasks.prefix(limit)), json: Array(all.json.prefix(limit)), next: nil)
    }

    func target(after: String?, count: Int) -> String {
        var query = [(name: "limit", value: String(min(1000, count)))]
        if let status { query.append(("status", status.status.rawValue)) }
        if let provider { query.append(("provider", provider)) }
        if let external { query.append(("external", external)) }
        if let since { query.append(("since", String(since.milliseconds))) }
        if let after { query.append(("after", after)) }
        return ControlTarget.tasks(query)
    }
}
