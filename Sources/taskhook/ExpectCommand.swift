import ArgumentParser
import Foundation
import TaskhookClient
import TaskhookState

/// `taskhook expect`: registers a task that was started elsewhere, so that it ends one way or
/// another: by its callback, by the reconciler reading its status, or failed at its deadline.
struct ExpectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "expect",
        abstract: "Register a task started by other code, so it is polled if its callback never comes.",
        discussion: """
            PROVIDER is the provider identity whose route receives the task's callbacks (freepik, fal, kling, \
            replicate, or a standard-webhooks route's name); TASK-ID is the provider's id. With --endpoint, \
            taskhook reconcile reads its status (from --poll-url, else the endpoint's status URL under the \
            reconciler's --base-url); without, only a callback or the deadline ends it. The deadline \
            (default: taskhookd's, 24 h) ends a task no one heard the end of as failed, with the reason \
            "deadline: no callback and no status". Registering again merges: values given replace, others stay.

            Standard output: the task as taskhook status prints it (--json: the daemon's JSON). Exit status: \
            0 registered (or already known: a task whose callback came first keeps its history); 65 taskhookd \
            refused it (a provider it knows neither as a built-in profile nor as a route's name); 64 usage error; 69 taskhookd unreachable.
            """)

    @Argument(help: ArgumentHelp("The provider identity, e.g. freepik.", valueName: "provider"))
    var provider: String

    @Argument(help: ArgumentHelp("The provider's task id.", valueName: "task-id"))
    var taskID: String

    @Option(
        help: ArgumentHelp("The endpoint it was started on, e.g. freepik/kling-v2 (to poll it).", valueName: "name"))
    var endpoint: String?

    @Option(help: ArgumentHelp("Where its status is read (default: built from the endpoint).", valueName: "url"))
    var pollURL: String?

    @Option(help: ArgumentHelp("Where its result is read (fal's queue: the response_url).", valueName: "url"))
    var resultURL: String?

    @OptionGroup var expectation: ExpectationOptions

    @Flag(help: "Print the task as the daemon's JSON.")
    var json = false

    @OptionGroup var connection: ControlOptions

    func registration(now: Int64) -> ExpectRecord {
        ExpectRecord(
            provider: provider, id: taskID, endpoint: endpoint, statusURL: pollURL, resultURL: resultURL,
            deadline: expectation.deadline?.milliseconds(now: now), labels: expectation.labelList,
            externalID: expectation.externalID)
    }

    func validate() throws {
        let now = Self.nowMilliseconds()
        let problems = registration(now: now).problems(now: now)
        guard problems.isEmpty else { throw ValidationError(problems.joined(separator: "; ")) }
    }

    func run() throws {
        let body = registration(now: Self.nowMilliseconds()).json.bytes
        let response = try connection.post(ControlTarget.expect, body: body, command: "expect")
        guard response.status == 200 || response.status == 201 else {
            throw registrationError(response, command: "expect")
        }
        try writeTask(response, json: json, command: "expect")
    }

    static func nowMilliseconds() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded()) }
}
