import Foundation
import Glibc
import TaskhookPosix
import TestSupport
import Testing

/// `taskhook wait`, `status` and `tasks`, run as a batch job would run them, against a daemon
/// that receives a provider's callbacks.
@Suite final class WaitCommandTests {
    let directory = DaemonProcess.temporaryDirectory()

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    /// A daemon with an unsigned freepik route (plus `extra` configuration and `arguments`).
    func daemon(extra: String = "", arguments: [String] = []) throws -> DaemonProcess {
        try DaemonProcess(arguments: ["--config", try unsignedFreepikConfig(directory, extra: extra)] + arguments)
    }

    @discardableResult
    func deliver(_ daemon: DaemonProcess, task: String, status: String, delivery: String? = nil) throws -> Int {
        try deliverFreepik(to: daemon, task: task, status: status, deliveryID: delivery ?? "msg-\(task)-\(status)")
    }

    func url(_ task: String) -> String { "https://cdn.example/\(task).mp4\n" }

    /// `taskhook` against `daemon`'s control socket, to the end.
    func cli(_ daemon: DaemonProcess, _ arguments: [String]) throws -> RunningCLI.Result {
        try RunningCLI(arguments + ["--socket", daemon.controlSocket]).finish()
    }

    @Test func aWaitThatStartsFirstEndsWhenTheCallbackArrives() throws {
        let daemon = try daemon()
        let wait = try RunningCLI(["wait", "t-1", "--timeout", "10s", "--socket", daemon.controlSocket])
        usleep(500_000)
        let delivered = Instant.now()
        #expect(try deliver(daemon, task: "t-1", status: "COMPLETED") == 200)
        let result = wait.finish()
        #expect(result.status == 0, "\(result)")
        #expect(result.output == url("t-1"))
        #expect(Instant.now() - delivered < .seconds(2))
    }

    @Test func aTaskThatAlreadyCompletedIsPrintedAtOnce() throws {
        let daemon = try daemon()
        #expect(try deliver(daemon, task: "t-2", status: "IN_PROGRESS") == 200)
        #expect(try deliver(daemon, task: "t-2", status: "COMPLETED") == 200)
        let result = try cli(daemon, ["wait", "t-2"])
        #expect(result.status == 0, "\(result)")
        #expect(result.output == url("t-2"))
        #expect(result.seconds < 2)
    }

    /// Past the 5 s allowed for reaching the daemon at the start, a held long poll is just waited on:
    /// no busy loop, and a late callback still ends the wait.
    @Test func aLongWaitIdlesWhileTheDaemonHoldsThePoll() throws {
        let daemon = try daemon()
        let wait = try RunningCLI(["wait", "late-1", "--timeout", "20s", "--socket", daemon.controlSocket])
        usleep(6_500_000)
        let wakeUps = wait.voluntaryContextSwitches()
        #expect(wakeUps != nil && wakeUps! < 200, "taskhook wait woke up \(wakeUps ?? -1) times while waiting")
        #expect(try deliver(daemon, task: "late-1", status: "COMPLETED") == 200)
        let result = wait.finish()
        #expect(result.status == 0, "\(result)")
        #expect(result.output == url("late-1"))
    }

    @Test func aFailedTaskExitsOneAndSaysSo() throws {
        let daemon = try daemon()
        #expect(try deliver(daemon, task: "t-3", status: "FAILED") == 200)
        let result = try cli(daemon, ["wait", "t-3"])
        #expect(result.status == 1, "\(result)")
        #expect(result.output.isEmpty)
        #expect(result.error.contains("task t-3 failed"))
    }

    @Test func aTimeoutExits124() throws {
        let daemon = try daemon()
        #expect(try deliver(daemon, task: "t-4", status: "IN_PROGRESS") == 200)
        let result = try cli(daemon, ["wait", "t-4", "never-heard-of", "--timeout", "1s"])
        #expect(result.status == 124, "\(result)")
        #expect(result.output.isEmpty)
        #expect(result.error.contains("timed out"))
        #expect(result.error.contains("t-4 (in_progress)"))
        #expect(result.seconds >= 0.9 && result.seconds < 4, "\(result.seconds)")
    }

    @Test func anUnreachableDaemonExits69AfterAShortRetry() throws {
        let socket = directory + "/nobody.sock"
        let wait = try RunningCLI(["wait", "t-5", "--socket", socket]).finish()
        #expect(wait.status == 69, "\(wait)")
        #expect(wait.error.contains("not reachable"))
        #expect(wait.seconds >= 4 && wait.seconds < 10, "\(wait.seconds)")
        let status = try RunningCLI(["status", "t-5", "--socket", socket]).finish()
        #expect(status.status == 69, "\(status)")
        let tasks = try RunningCLI(["tasks"], environment: ["TASKHOOK_SOCKET": socket]).finish()
        #expect(tasks.status == 69, "\(tasks)")
        #expect(tasks.error.contains(socket))
    }

    @Test func usageErrorsExit64() throws {
        for arguments in [
            ["wait"], ["wait", "a", "--all", "--any"], ["wait", "a", "--timeout", "soon"],
            ["wait", "a", "--timeout", "-5s"], ["wait", "a/b"], ["wait", "a", "--url", "http://127.0.0.1:1"],
            ["wait", "a", "--url", "https://127.0.0.1:1", "--token", "t"], ["wait", "a", "--token", "t"],
            ["wait", "a", "--socket", "/tmp/x.sock", "--url", "http://127.0.0.1:1", "--token", "t"],
            ["status"], ["tasks", "--limit", "0"], ["tasks", "--status", "done"], ["tasks", "--since", "yesterday"],
        ] {
            let result = try RunningCLI(arguments, environment: [:]).finish()
            #expect(result.status == 64, "\(arguments): \(result)")
            #expect(result.output.isEmpty, "\(arguments)")
            #expect(!result.error.isEmpty, "\(arguments)")
        }
    }

    @Test func allWaitsForEveryTaskAndAnyForTheFirst() throws {
        let daemon = try daemon()
        #expect(try deliver(daemon, task: "a-1", status: "COMPLETED") == 200)
        let all = try RunningCLI(["wait", "a-1", "a-2", "--socket", daemon.controlSocket, "--timeout", "10s"])
        let any = try RunningCLI(["wait", "b-1", "b-2", "--any", "--socket", daemon.controlSocket, "--timeout", "10s"])
        usleep(500_000)
        #expect(try deliver(daemon, task: "b-2", status: "COMPLETED") == 200)
        let first = any.finish()
        #expect(first.status == 0, "\(first)")
        #expect(first.output == url("b-2"))
        usleep(200_000)
        #expect(try deliver(daemon, task: "a-2", status: "COMPLETED") == 200)
        let every = all.finish()
        #expect(every.status == 0, "\(every)")
        #expect(every.output == url("a-1") + url("a-2"))
        #expect(every.seconds >= 0.6)
    }

    @Test func jsonPrintsTheDaemonsTaskObjectOneALine() throws {
        let daemon = try daemon()
        #expect(try deliver(daemon, task: "j-1", status: "COMPLETED") == 200)
        #expect(try deliver(daemon, task: "j-2", status: "FAILED") == 200)
        let result = try cli(daemon, ["wait", "j-1", "j-2", "--json"])
        #expect(result.status == 1, "\(result)")
        let lines = result.output.split(separator: "\n")
        #expect(lines.count == 2)
        let objects = lines.compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        #expect(objects.map { $0["id"] as? String } == ["j-1", "j-2"])
        #expect(objects.map { $0["status"] as? String } == ["completed", "failed"])
        #expect(objects.allSatisfy { $0["terminal"] as? Bool == true && $0["deliveries"] is [Any] })
    }

    @Test func statusShowsAKnownTaskAndNamesAnUnknownOne() throws {
        let daemon = try daemon()
        #expect(try deliver(daemon, task: "s-1", status: "COMPLETED", delivery: "msg_s1") == 200)
        let summary = try cli(daemon, ["status", "s-1"])
        #expect(summary.status == 0, "\(summary)")
        for text in ["s-1", "freepik", "completed", "https://cdn.example/s-1.mp4", "msg_s1"] {
            #expect(summary.output.contains(text), "\(text) missing in \(summary.output)")
        }
        #expect(
            summary.output.range(
                of: #"first seen +\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"#, options: .regularExpression) != nil)
        let json = try cli(daemon, ["status", "s-1", "--json"])
        let object = try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any]
        #expect(object?["results"] as? [String] == ["https://cdn.example/s-1.mp4"])
        let unknown = try cli(daemon, ["status", "no-such-task"])
        #expect(unknown.status == 1, "\(unknown)")
        #expect(unknown.output.isEmpty)
        #expect(unknown.error.contains("no task no-such-task"))
    }

    @Test func tasksAreListedWithFilters() throws {
        let daemon = try daemon()
        for task in ["l-1", "l-2", "l-3"] { #expect(try deliver(daemon, task: task, status: "COMPLETED") == 200) }
        #expect(try deliver(daemon, task: "l-4", status: "FAILED") == 200)
        let failed = try cli(daemon, ["tasks", "--status", "failed", "--json"])
        #expect(failed.status == 0, "\(failed)")
        let ids = failed.output.split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["id"] as? String
        }
        #expect(ids == ["l-4"])
        let table = try cli(
            daemon, ["tasks", "--status", "completed", "--provider", "freepik", "--since", "1h", "--limit", "2"])
        #expect(table.status == 0, "\(table)")
        let rows = table.output.split(separator: "\n")
        #expect(rows.count == 3, "\(table.output)")
        #expect(rows.first?.hasPrefix("ID") == true)
        #expect(rows.dropFirst().allSatisfy { $0.contains("completed") && $0.contains("https://cdn.example/") })
        let none = try cli(daemon, ["tasks", "--provider", "fal"])
        #expect(none.status == 0)
        #expect(none.output.isEmpty)
        let future = try cli(daemon, ["tasks", "--since", "2999-01-01T00:00:00Z"])
        #expect(future.output.isEmpty)
    }

    @Test func theAdminListenerIsReachedWithURLAndToken() throws {
        let daemon = try daemon(
            extra: "control:\n  admin:\n    listen: 127.0.0.1:0\n    token: {value: \"wait-token\"}")
        #expect(daemon.waitForLog("listener=admin"))
        let line = daemon.log.split(separator: "\n").first { $0.contains("listener=admin") }!
        let address = String(line.split(separator: " ").first { $0.hasPrefix("address=") }!.dropFirst(8))
        #expect(try deliver(daemon, task: "u-1", status: "COMPLETED") == 200)
        let wait = try RunningCLI(
            ["wait", "u-1", "--url", "http://\(address)"], environment: ["TASKHOOK_TOKEN": "wait-token"]
        )
        .finish()
        #expect(wait.status == 0, "\(wait)")
        #expect(wait.output == url("u-1"))
        let refused = try RunningCLI(["status", "u-1", "--url", "http://\(address)", "--token", "wrong"]).finish()
        #expect(refused.status == 69, "\(refused)")
        #expect(refused.error.contains("token"))
        // Following events, a refused token is an answer, not a broken connection: it ends at
        // once instead of reconnecting for ever.
        let events = try RunningCLI(["events", "--follow", "--url", "http://\(address)", "--token", "wrong"])
            .finish(within: .seconds(5))
        #expect(events.status == 69, "\(events)")
        #expect(events.error.contains("refused the token"), "\(events)")
        #expect(!events.error.contains("reconnecting"), "\(events)")
    }

    /// The daemon stops (SIGTERM answers the long poll 503) and starts again on the same journal
    /// and control socket; the callback reaches the new daemon; the wait ends with the URL.
    @Test func aWaitOutlivesADaemonRestart() throws {
        let arguments = ["--journal-dir", directory + "/journal", "--control-socket", directory + "/control.sock"]
        let first = try daemon(arguments: arguments)
        #expect(try deliver(first, task: "r-1", status: "IN_PROGRESS") == 200)
        let wait = try RunningCLI(["wait", "r-1", "--timeout", "15s", "--socket", first.controlSocket])
        usleep(300_000)
        first.signal(SIGTERM)
        #expect(first.waitForExit() == 0)
        usleep(300_000)
        let second = try daemon(arguments: arguments)
        #expect(second.controlSocket == first.controlSocket)
        #expect(try deliver(second, task: "r-1", status: "COMPLETED") == 200)
        let result = wait.finish()
        #expect(result.status == 0, "\(result)")
        #expect(result.output == url("r-1"))
        #expect(result.error.contains("reconnecting"))
    }

    @Test func eventsPrintsTheStoredChangesAsJSONLinesAndEnds() throws {
        let daemon = try daemon()
        try deliver(daemon, task: "ev-1", status: "IN_PROGRESS")
        try deliver(daemon, task: "ev-2", status: "COMPLETED")
        try deliver(daemon, task: "ev-1", status: "FAILED")
        let all = try cli(daemon, ["events"])
        #expect(all.status == 0, "\(all)")
        let lines = all.output.split(separator: "\n")
        #expect(lines.count == 3)
        #expect(lines.first?.hasPrefix(#"{"sequence":1,"task_id":"ev-1""#) == true)
        let later = try cli(daemon, ["events", "--since", "1", "--task", "ev-1"])
        #expect(later.output.split(separator: "\n").count == 1)
        #expect(later.output.contains(#""status":"failed""#))
    }

    @Test func eventsFollowPrintsChangesAsTheyComeAndResumesAcrossARestart() throws {
        let journal = directory + "/journal-follow"
        let socket = directory + "/follow.sock"
        var daemon: DaemonProcess? = try self.daemon(arguments: ["--journal-dir", journal, "--control-socket", socket])
        let follow = try RunningCLI(["events", "--follow", "--socket", socket])
        usleep(300_000)
        try deliver(daemon!, task: "f-1", status: "COMPLETED")
        usleep(300_000)
        daemon!.signal(SIGTERM)
        _ = daemon!.waitForExit()
        daemon = try self.daemon(arguments: ["--journal-dir", journal, "--control-socket", socket])
        try deliver(daemon!, task: "f-2", status: "COMPLETED")
        usleep(1_500_000)
        follow.signal(SIGTERM)
        let result = follow.finish()
        let tasks = result.output.split(separator: "\n").compactMap { line -> String? in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["task_id"] as? String
        }
        #expect(tasks == ["f-1", "f-2"], "\(result)")
    }
}

/// The built `taskhook`, started now and finished later (so a test can deliver callbacks
/// while it waits).
final class RunningCLI {
    struct Result: CustomStringConvertible {
        var status: Int32
        var output: String
        var error: String
        var seconds: Double
        var description: String {
            "exit \(status), stdout \(output.debugDescription), stderr \(error.debugDescription)"
        }
    }

    /// In its own process group; killed and reaped when the value goes away.
    private let process: ChildProcess
    private let started = Instant.now()

    /// `environment` replaces the test's own (so TASKHOOK_* variables there cannot leak in).
    init(_ arguments: [String], environment: [String: String] = [:]) throws {
        process = try ChildProcess(
            DaemonProcess.cli.path, arguments,
            environment: environment.merging(["PATH": "/usr/bin:/bin"]) { mine, _ in mine })
    }

    /// How often its threads have gone to sleep so far, all together (from /proc): a busy loop
    /// shows up here. (The command runs on a thread of Swift's pool, not the main thread.)
    func voluntaryContextSwitches() -> Int? {
        let tasks = "/proc/\(process.pid)/task"
        guard let threads = try? FileManager.default.contentsOfDirectory(atPath: tasks) else { return nil }
        return threads.reduce(0) { total, thread in
            let status = (try? String(contentsOfFile: "\(tasks)/\(thread)/status", encoding: .utf8)) ?? ""
            let line = status.split(separator: "\n").first { $0.hasPrefix("voluntary_ctxt_switches:") }
            return total + (line.flatMap { Int($0.split(separator: "\t").last ?? "") } ?? 0)
        }
    }

    func signal(_ signal: Int32) { process.signal(signal) }

    /// `finish`, but a command still running after `timeout` is ended with SIGKILL first.
    func finish(within timeout: Duration) -> Result {
        if process.wait(timeout: timeout) == nil { process.stop() }
        return finish()
    }

    func finish() -> Result {
        let status = process.wait(timeout: .seconds(600)) ?? -1
        return Result(
            status: status, output: process.output, error: process.errorOutput,
            seconds: Double((Instant.now() - started).milliseconds) / 1000)
    }
}
