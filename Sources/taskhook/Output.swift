import ArgumentParser
import TaskhookClient
import TaskhookPosix

/// Buffered standard output: a dump of a million records is a million lines.
struct StandardOutput {
    private var buffer: [UInt8] = []

    mutating func write(_ text: String) {
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= 64 * 1024 { flush() }
    }

    mutating func flush() {
        writeAll(buffer, to: 1)
        buffer.removeAll(keepingCapacity: true)
    }
}

func printError(_ text: String) {
    writeAll(Array((text + "\n").utf8), to: 2)
}

/// Every byte to an inherited descriptor, short writes and EINTR retried. A failure (stdout
/// closed: a pipe to head) drops the rest; there is no one left to tell.
func writeAll(_ bytes: [UInt8], to descriptor: Int32) {
    _ = bytes.withUnsafeBytes { raw in
        Result { () throws(SyscallError) in try FileSystem.writeAll(raw, to: descriptor) }
    }
}

/// An answer other than the ones a command expects: report it and pick the exit status.
func answerError(_ response: ControlResponse, command: String) -> ExitCode {
    switch response.status {
    case 400:
        printError("taskhook \(command): taskhookd rejected the request: \(response.message)")
        return ExitStatus.usage
    case 409:
        // A bare id several providers use: the message names each provider:id to ask for.
        printError("taskhook \(command): \(response.message)")
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

/// A task answer as `status` prints it: its summary, or with `json` the daemon's JSON.
func writeTask(_ response: ControlResponse, json: Bool, command: String) throws {
    var output = StandardOutput()
    if json {
        output.write(response.text + "\n")
    } else {
        guard let task = try? TaskView.parse(response.body) else {
            printError("taskhook \(command): taskhookd answered with JSON this command does not understand")
            throw ExitStatus.unavailable
        }
        output.write(task.summary)
    }
    output.flush()
}

/// A refused registration (`POST /v1/tasks`): report it and pick the exit status. 422 is data
/// the daemon will not take (an unknown provider): 65, as a request breaking a schema.
func registrationError(_ response: ControlResponse, command: String) -> ExitCode {
    switch response.status {
    case 422:
        printError("taskhook \(command): taskhookd refused the registration: \(response.message)")
        return ExitStatus.dataError
    case 404, 409:
        printError("taskhook \(command): \(response.message)")
        return ExitStatus.problems
    default:
        return answerError(response, command: command)
    }
}

/// A line on standard error that rewrites itself (`\r`, erase to end of line), shown only when
/// standard error is a terminal: nothing of it reaches a pipe or a log file.
final class StatusLine {
    let isEnabled: Bool
    private var shown = false

    init(enabled: Bool = Terminal.isTerminal(2)) {
        isEnabled = enabled
    }

    func show(_ text: String) {
        guard isEnabled else { return }
        let columns = Terminal.columns(2).map { $0 > 1 ? $0 - 1 : 79 } ?? 79
        let line = text.count > columns ? String(text.prefix(columns - 1)) + "…" : text
        writeError("\r\u{1B}[K" + line)
        shown = true
    }

    func clear() {
        guard isEnabled, shown else { return }
        writeError("\r\u{1B}[K")
        shown = false
    }

    private func writeError(_ text: String) {
        writeAll(Array(text.utf8), to: 2)
    }
}
