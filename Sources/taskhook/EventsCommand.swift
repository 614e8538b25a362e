import ArgumentParser
import Foundation
import TaskhookClient
import TaskhookPosix

/// Prints task changes as taskhookd records them: one JSON object a line (sequence, task_id,
/// provider, status, terminal, results, error, time), from `--since` on; with `--follow` it
/// keeps printing, and resumes after the last sequence it printed if the daemon restarts.
struct EventsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events",
        abstract: "Print task changes in journal order, one JSON object a line.",
        discussion: "Exit 0 at the end (without --follow), 69 if taskhookd is unreachable, 64 on a usage error.")

    @OptionGroup var connection: ControlOptions

    @Option(help: "Only changes after this journal sequence.")
    var since: UInt64 = 0

    @Option(help: "Only this task's changes.")
    var task: String?

    @Flag(help: "Keep printing changes as they come (Ctrl-C to stop).")
    var follow = false

    func run() throws {
        let endpoint: ControlEndpoint
        do { endpoint = try connection.endpoint() } catch {
            printError("taskhook events: \(error.message)")
            throw ExitStatus.usage
        }
        var output = StandardOutput()
        var last = since
        var delay: Duration = .milliseconds(100)
        var everConnected = false
        while true {
            do {
                let stream = try EventSubscription(endpoint, since: last, follow: follow, task: task)
                everConnected = true
                while let events = try stream.next(timeout: follow ? nil : .seconds(30)) {
                    for event in events { output.write(event.data + "\n") }
                    last = events.last?.id ?? last
                    output.flush()
                }
                if !follow { return }
            } catch let refused as EventSubscription.Refused where !(follow && refused.answer.status >= 500) {
                // A wrong token or a bad request stays wrong: say so and stop, as status does.
                output.flush()
                throw answerError(refused.answer, command: "events")
            } catch {
                output.flush()
                guard follow, everConnected else {
                    printError("taskhook events: \(error)")
                    throw ExitStatus.unavailable
                }
                printError("taskhook events: \(error); reconnecting")
            }
            Thread.sleep(forTimeInterval: Double(delay.milliseconds) / 1000)
            delay = min(delay * 2, .seconds(2))
        }
    }
}
