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
