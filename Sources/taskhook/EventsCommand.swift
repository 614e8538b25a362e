import ArgumentParser
import Foundation
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
                try stream(endpoint, after: &last, output: &output, connected: &everConnected)
                if !follow { return }
            } catch let refused as Refused where !(follow && refused.answer.status >= 500) {
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
            usleep(UInt32(delay.milliseconds * 1000))
            delay = min(delay * 2, .seconds(2))
        }
    }

    /// One connection: prints each event after `last` and moves `last` on. Throws `Refused` for
    /// an answer other than 200, `ControlError` when the connection fails.
    private func stream(
        _ endpoint: ControlEndpoint, after last: inout UInt64, output: inout StandardOutput, connected: inout Bool
    ) throws {
        var target = "/v1/events?since=\(last)&follow=\(follow)"
        if let task { target += "&task=\(percentEncoded(task))" }
        let request = try ControlRequest(endpoint, target: target)
        connected = true
        var buffer: [UInt8] = []
        var headDone = false
        while let chunk = try request.rawChunk(timeout: follow ? nil : .seconds(30)) {
            buffer += chunk
            if !headDone {
                guard let end = buffer.firstRange(of: Array("\r\n\r\n".utf8)) else { continue }
                let head = String(decoding: buffer[..<end.lowerBound], as: UTF8.self)
                guard head.hasPrefix("HTTP/1.1 200") else { throw Refused(answer: try Self.rest(of: request, buffer)) }
                buffer.removeSubrange(..<end.upperBound)
                headDone = true
            }
            while let end = buffer.firstRange(of: Array("\n\n".utf8)) {
                let event = String(decoding: buffer[..<end.lowerBound], as: UTF8.self)
                buffer.removeSubrange(..<end.upperBound)
                var id: UInt64?
                var data: String?
                for line in event.split(separator: "\n") {
                    if line.hasPrefix("id: ") { id = UInt64(line.dropFirst(4)) }
                    if line.hasPrefix("data: ") { data = String(line.dropFirst(6)) }
                }
                guard let data, let id else { continue }  // a comment: a heartbeat
                output.write(data + "\n")
                last = id
            }
            output.flush()
        }
        if !headDone { throw ControlError.broken("taskhookd closed the connection before answering") }
    }

    /// An answer other than 200: the daemon's reason, to report rather than retry (unless 5xx
    /// while following: the daemon may be restarting).
    struct Refused: Error {
        let answer: ControlResponse
    }

    /// The whole answer whose first bytes are `start`.
    private static func rest(of request: ControlRequest, _ start: [UInt8]) throws(ControlError) -> ControlResponse {
        var parser = ResponseParser()
        parser.feed(start[...])
        while true {
            if let answer = try parser.response() { return answer }
            guard let chunk = try request.rawChunk(timeout: .seconds(30)) else { return try parser.finish() }
            if chunk.isEmpty { throw .broken("taskhookd stopped answering halfway") }
            parser.feed(chunk[...])
        }
    }
}
