import Foundation
import Glibc
import TaskhookCore
import TaskhookPosix
import TestSupport
import Testing

@testable import TaskhookActions

/// Real processes (Debian's /usr/bin/python3, not a PATH shim that adds to the environment; sh),
/// each ended by the run itself: the timeout case kills its group.
@Suite struct CommandRunTests {
    let end = TaskEnd(sequence: 3, taskID: "t-9", provider: "kling", status: .completed, results: ["https://cdn/v.mp4"])

    func invocation(_ arguments: [String]) -> CommandInvocation {
        CommandInvocation(
            arguments: arguments, environment: ["EXTRA": "1"], passEnvironment: [], end: end, task: nil,
            action: "test", attempt: 1, runnerEnvironment: ["PATH": "/usr/bin:/bin", "HOME": "/root"])
    }

    @Test func theCommandGetsExactlyItsEnvironmentAndTheTaskOnStandardInput() throws {
        let directory = DaemonProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let script = """
            import sys
            open(sys.argv[1] + '/environ', 'wb').write(open('/proc/self/environ', 'rb').read())
            open(sys.argv[1] + '/stdin', 'wb').write(sys.stdin.buffer.read())
            print('done')
            """
        var lines: [String] = []
        let outcome = CommandRun.run(
            invocation(["/usr/bin/python3", "-c", script, directory]), timeout: .seconds(20), output: .captured
        ) { lines.append($0) }
        #expect(outcome.kind == .succeeded, "\(outcome)")
        #expect(outcome.exitStatus == 0)
        #expect(lines == ["done"])
        let environ = try String(contentsOfFile: directory + "/environ", encoding: .utf8)
        #expect(environ.split(separator: "\0").map(String.init) == invocation([]).environment)
        let stdin = try String(contentsOfFile: directory + "/stdin", encoding: .utf8)
        #expect(stdin == end.json.text + "\n")
    }

    @Test func aFailureCarriesItsExitStatusAndTheEndOfItsOutput() {
        let outcome = CommandRun.run(
            invocation(["sh", "-c", "echo working; echo 'disk full' >&2; exit 3"]), timeout: .seconds(20),
            output: .captured)
        #expect(outcome.kind == .failed)
        #expect(outcome.exitStatus == 3)
        #expect(outcome.error == "exit status 3: working | disk full")
    }

    @Test func aCommandPastItsTimeoutIsEndedWithWhatItStarted() throws {
        let directory = DaemonProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let started = Instant.now()
        let outcome = CommandRun.run(
            invocation(["sh", "-c", "sleep 30 & echo $! > \(directory)/child; wait"]), timeout: .milliseconds(300),
            output: .captured)
        #expect(outcome.kind == .timedOut)
        #expect(outcome.exitStatus == 128 + SIGTERM)
        #expect(Instant.now() - started < .seconds(5))
        let child = try #require(
            Int32(
                try String(contentsOfFile: directory + "/child", encoding: .utf8).trimmingCharacters(
                    in: .whitespacesAndNewlines)))
        // Gone, or a zombie left for whoever reaps orphans: not running either way.
        usleep(100_000)
        let state = (try? String(contentsOfFile: "/proc/\(child)/stat", encoding: .utf8))?
            .split(separator: ")").last?.split(separator: " ").first
        #expect(state == nil || state == "Z", "the command's own child outlived it")
    }

    @Test func aProgramThatCannotStartIsAFailureSayingWhy() {
        let outcome = CommandRun.run(invocation(["/nonexistent/program"]), timeout: .seconds(5), output: .captured)
        #expect(outcome.kind == .failed)
        #expect(outcome.exitStatus == nil)
        #expect(outcome.error?.contains("cannot start /nonexistent/program") == true)
    }

    @Test func aCommandThatIgnoresItsInputStillRuns() {
        var input = invocation(["true"])
        input.input = [UInt8](repeating: 120, count: 1 << 20)  // beyond a pipe's buffer
        let outcome = CommandRun.run(input, timeout: .seconds(20), output: .captured)
        #expect(outcome.kind == .succeeded)
    }
}
