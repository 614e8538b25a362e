import Foundation
import TaskhookPosix
import TestSupport
import Testing

/// `taskhook on`: one action tried from the shell, against the built daemon.
@Suite struct OnCommandTests {
    @Test func theNextTaskToEndSoRunsTheCommandAsAnActionWouldThenItExitsWithItsStatus() throws {
        let deployment = try ActionsDeployment(actions: "")
        defer { deployment.stop() }
        let socket = deployment.daemon.controlSocket
        let on = try ChildProcess(
            DaemonProcess.cli.path,
            ["on", "completed", "--provider", "freepik", "--socket", socket, "--"] + [
                "/usr/bin/python3", deployment.directory + "/action.py", deployment.directory,
            ],
            environment: ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "SECRET": "x"])
        defer { on.stop() }
        #expect(waitUntil(.seconds(20)) { on.errorOutput.contains("waiting for") }, "\(on.errorOutput)")
        try deployment.send("t-0", "failed")  // not the status it waits for
        try deployment.send("t-1")
        #expect(on.wait(timeout: .seconds(20)) == 0, "\(on.errorOutput)")
        #expect(deployment.script.runs.map(\.task) == ["t-1"])
        let environment = deployment.script.environment("t-1")
        #expect(environment["ACTION_NAME"] == "on")
        #expect(environment["SECRET"] == nil)
        #expect(deployment.script.input("t-1")?["status"] as? String == "completed")

        // A task that has ended: at once, with the command's exit status.
        let named = try DaemonProcess.runCLI(["on", "completed", "t-1", "--socket", socket, "--", "sh", "-c", "exit 5"])
        #expect(named.status == 5, "\(named)")
        let other = try DaemonProcess.runCLI(["on", "completed", "t-0", "--socket", socket, "--", "true"])
        #expect(other.status == 1)
        #expect(other.error.contains("ended failed, not completed"))
        let none = try DaemonProcess.runCLI(["on", "any", "--timeout", "1s", "--socket", socket, "--", "true"])
        #expect(none.status == 124, "\(none)")
        let usage = try DaemonProcess.runCLI(["on", "started", "--socket", socket, "--", "true"])
        #expect(usage.status == 64)
        let missing = try DaemonProcess.runCLI(["on", "completed", "t-1", "--socket", socket, "--", "/nonexistent"])
        #expect(missing.status == 127, "\(missing)")
    }
}

/// `taskhook actions check` and `list` without a runner: what an operator sees first.
@Suite struct ActionsCommandTests {
    @Test func checkSaysWhatRunsWhenOrNamesTheMistakeAndListNeedsAStateDirectory() throws {
        let directory = DaemonProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let good = directory + "/good.yaml"
        try
            "actions:\n  - {name: a, on: any, run: [/bin/true], timeout: 30s}\n  - {name: b, fetch: {directory: \(directory)/v}}\n"
            .write(toFile: good, atomically: true, encoding: .utf8)
        let checked = try DaemonProcess.runCLI(["actions", "check", "--config", good])
        #expect(checked.status == 0, "\(checked)")
        #expect(checked.output.contains("a: on canceled,completed,failed: run /bin/true (timeout 30s, retries 0)"))
        #expect(checked.output.contains("b: on completed: fetch into \(directory)/v (timeout 10m00s, retries 5)"))
        let bad = directory + "/bad.yaml"
        try "listen: [\"127.0.0.1:8080\"]\nactions:\n  - {name: a, run: [/nonexistent/notify]}\n"
            .write(toFile: bad, atomically: true, encoding: .utf8)
        let refused = try DaemonProcess.runCLI(["actions", "check", "--config", bad])
        #expect(refused.status == 78)
        #expect(refused.error.contains("action a: /nonexistent/notify is not an executable file"), "\(refused)")
        let none = try DaemonProcess.runCLI(["actions", "run", "--config", directory + "/missing.yaml"])
        #expect(none.status == 78)
        let list = try DaemonProcess.runCLI(["actions", "list", "--state-dir", directory + "/nowhere"])
        #expect(list.status == 66)
        #expect(list.error.contains("no state directory"))
    }
}
