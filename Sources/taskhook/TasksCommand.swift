import ArgumentParser
import Foundation
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

    struct Page: Decodable {
        var tasks: [TaskView]
        var next: String?
    }

    @Option(help: ArgumentHelp("Only tasks with this status.", valueName: "status"))
    var status: StatusFilter?

    @Option(help: ArgumentHelp("Only tasks of this provider (the route's provider, e.g. freepik).", valueName: "name"))
    var provider: String?

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
        let (tasks, raw) = try collect()
        var output = StandardOutput()
        if json {
            for text in raw { output.write(String(decoding: text, as: UTF8.self) + "\n") }
        } else if tasks.isEmpty {
            printError("no matching tasks")
        } else {
            output.write(Self.table(tasks))
        }
        output.flush()
    }

    /// Pages through the listing until `limit` tasks or the end.
    func collect() throws -> (tasks: [TaskView], raw: [ArraySlice<UInt8>]) {
        var tasks: [TaskView] = []
        var raw: [ArraySlice<UInt8>] = []
        var after: String?
        repeat {
            let response = try fetch(
                target(after: after, count: limit - tasks.count), command: "tasks", connection: connection)
            // `after` is a position the daemon issued, valid however the tasks change.
            guard response.status == 200 else { throw answerError(response, command: "tasks") }
            guard let page = try? decodeJSON(Page.self, from: response.body),
                let elements = rawArrayElements(named: "tasks", in: response.body), elements.count == page.tasks.count
            else {
                printError("taskhook tasks: taskhookd answered with JSON this command does not understand")
                throw ExitStatus.unavailable
            }
            tasks += page.tasks
            raw += elements
            after = page.next
        } while after != nil && tasks.count < limit
        return (Array(tasks.prefix(limit)), Array(raw.prefix(limit)))
    }

    func target(after: String?, count: Int) -> String {
        var query = [("limit", String(min(1000, count)))]
        if let status { query.append(("status", status.status.rawValue)) }
        if let provider { query.append(("provider", provider)) }
        if let since { query.append(("since", String(since.milliseconds))) }
        if let after { query.append(("after", after)) }
        return "/v1/tasks?" + query.map { "\($0.0)=\(percentEncoded($0.1))" }.joined(separator: "&")
    }

    static func table(_ tasks: [TaskView]) -> String {
        let rows: [[String]] =
            [["ID", "PROVIDER", "STATUS", "UPDATED", "RESULT"]]
            + tasks.map { task in
                let results = task.results ?? []
                let result =
                    results.first.map { $0 + (results.count > 1 ? " (+\(results.count - 1))" : "") } ?? task.error ?? ""
                return [
                    task.id, task.provider ?? "-", task.status ?? "-", task.updated.map(isoTime(milliseconds:)) ?? "-",
                    result,
                ]
            }
        let widths = (0..<4).map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            let line = (0..<4).map { row[$0].padding(toLength: widths[$0] + 2, withPad: " ", startingAt: 0) }.joined()
            return line
                + row[4].replacingOccurrences(of: "\n", with: " ")
                .trimmingCharacters(in: .whitespaces) + "\n"
        }.joined()
    }
}
