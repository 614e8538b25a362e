import Crypto
import Foundation
import Glibc
import TaskhookPosix
import TaskhookSimulator
import TestSupport
import Testing

/// The built taskhookd with a Freepik route and an actions: section in the same file, and
/// `taskhook actions run` reading its event stream, as taskhook-actions.service runs it.
final class ActionsDeployment {
    let directory = DaemonProcess.temporaryDirectory()
    static let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    let script: RecordingScript
    private(set) var daemon: DaemonProcess!
    private(set) var runner: ActionsRunner!

    /// `actions`: the actions: section; `SCRIPT` in it stands for the recording script's run list.
    init(actions: String, scriptBody: String = "") throws {
        script = try RecordingScript(directory: directory, body: scriptBody)
        let configuration = """
            routes:
              - path: /hooks/freepik
                provider: freepik
                secret: {value: "\(Self.secret)"}
            """ + "\n" + actions.replacingOccurrences(of: "SCRIPT", with: script.run)
        try configuration.write(toFile: directory + "/taskhook.yaml", atomically: true, encoding: .utf8)
        daemon = try startDaemon()
        runner = ActionsRunner(
            configPath: directory + "/taskhook.yaml", stateDirectory: directory + "/state", socket: daemon.controlSocket
        )
    }

    /// taskhookd on this deployment's configuration, journal and control socket.
    private func startDaemon() throws -> DaemonProcess {
        try DaemonProcess(arguments: [
            "--config", directory + "/taskhook.yaml", "--journal-dir", directory + "/journal", "--control-socket",
            directory + "/control.sock",
        ])
    }

    /// Stops taskhookd (SIGTERM: it drains and exits) and starts it again on the same journal and socket.
    func restartDaemon() throws {
        daemon.signal(SIGTERM)
        _ = daemon.waitForExit()
        daemon.process.stop()
        daemon = try startDaemon()
    }

    /// A signed Freepik callback for `task`, answered 200.
    func send(_ task: String, _ status: String = "completed") throws {
        let result = try DaemonProcess.runCLI([
            "send-test", "http://\(daemon.address)/hooks/freepik", "--provider", "freepik", "--secret", Self.secret,
            "--task-id", task, "--status", status,
        ])
        #expect(result.output.contains("answer: 200"), "\(result)")
    }

    func stop() {
        runner?.stop()
        daemon?.process.stop()
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(atPath: directory)
    }
}

@Suite struct ActionsEndToEndTests {
    @Test func aCompletedTaskRunsItsCommandExactlyOnceWithTheTaskOnStandardInputAndInItsEnvironment() throws {
        let deployment = try ActionsDeployment(actions: "actions:\n  - {name: record, on: completed, run: SCRIPT}\n")
        defer { deployment.stop() }
        let runner = deployment.runner!
        try runner.start()
        try deployment.send("t-1")
        let row = try #require(
            runner.waitForOutcome(task: "freepik:t-1", action: "record", "succeeded"), "\(runner.log)")
        #expect(row["attempts"] as? Int == 1)
        #expect(row["exit_status"] as? Int == 0)
        // Heard of again (a resent callback), another status, a restart: none runs it again.
        try deployment.send("t-1")
        try deployment.send("t-2", "failed")
        #expect(runner.terminate() == 0)
        try runner.start()
        try deployment.send("t-3")
        #expect(runner.waitForOutcome(task: "freepik:t-3", action: "record", "succeeded") != nil, "\(runner.log)")
        #expect(deployment.script.runs.map(\.task) == ["t-1", "t-3"])

        let environment = deployment.script.environment("t-1")
        #expect(
            Set(environment.keys) == [
                "PATH", "TASK_ID", "TASK_STATUS", "TASK_PROVIDER", "TASK_KEY", "TASK_SEQUENCE", "TASK_RESULT_URL",
                "TASK_RESULT_URLS", "TASK_ERROR", "TASK_EXTERNAL_ID", "ACTION_NAME", "ACTION_ATTEMPT",
            ])
        #expect(environment["TASK_ID"] == "t-1")
        #expect(environment["TASK_STATUS"] == "completed")
        #expect(environment["TASK_PROVIDER"] == "freepik")
        #expect(environment["TASK_KEY"] == "freepik:t-1")
        #expect(environment["TASK_RESULT_URL"] == "https://cdn.example.com/taskhook-send-test/t-1.mp4")
        #expect(environment["ACTION_NAME"] == "record")
        #expect(environment["ACTION_ATTEMPT"] == "1")
        // The task as the control API shows it.
        let input = try #require(deployment.script.input("t-1"))
        #expect(input["id"] as? String == "t-1")
        #expect(input["status"] as? String == "completed")
        #expect(input["results"] as? [String] == ["https://cdn.example.com/taskhook-send-test/t-1.mp4"])
        #expect(input["deliveries"] != nil)
        #expect(runner.log.contains("attempt succeeded"))
        #expect(runner.log.contains("task_id=t-1"))
    }

    @Test func theRunnerReconnectsWhenTaskhookdRestartsAndMissesNothing() throws {
        let deployment = try ActionsDeployment(actions: "actions:\n  - {name: record, run: SCRIPT}\n")
        defer { deployment.stop() }
        let runner = deployment.runner!
        try runner.start()
        try deployment.send("t-1")
        #expect(runner.waitForOutcome(task: "freepik:t-1", action: "record", "succeeded") != nil, "\(runner.log)")
        try deployment.restartDaemon()
        try deployment.send("t-2")
        #expect(runner.waitForOutcome(task: "freepik:t-2", action: "record", "succeeded") != nil, "\(runner.log)")
        #expect(runner.log.contains("reading taskhookd's events again"))
        #expect(deployment.script.runs.map(\.task) == ["t-1", "t-2"])
    }

    @Test func aFailingCommandIsRetriedWithBackoffAndItsFailureIsListed() throws {
        let deployment = try ActionsDeployment(
            actions: "actions:\n  - {name: flaky, run: SCRIPT, retries: 2, backoff: 300ms}\n",
            scriptBody: "print('upload refused', file=sys.stderr)\nsys.exit(3)")
        defer { deployment.stop() }
        let runner = deployment.runner!
        try runner.start()
        try deployment.send("t-1")
        let row = try #require(
            runner.waitForOutcome(task: "freepik:t-1", action: "flaky", "failed", timeout: .seconds(30)),
            "\(runner.log)")
        #expect(row["attempts"] as? Int == 3)
        #expect(row["exit_status"] as? Int == 3)
        #expect((row["error"] as? String)?.contains("exit status 3: upload refused") == true)
        let times = deployment.script.runs.map(\.time)
        #expect(times.count == 3)
        if times.count == 3 {
            #expect(times[1] - times[0] >= 0.28, "\(times)")  // 300 ms, then doubled
            #expect(times[2] - times[1] >= 0.58, "\(times)")
        }
        let table = try DaemonProcess.runCLI(["actions", "list", "--state-dir", runner.stateDirectory])
        #expect(table.output.contains("failed"), "\(table)")
        #expect(table.output.contains("upload refused"))
        #expect(runner.log.contains("attempt failed; it will be retried"))
        #expect(runner.log.contains("attempt failed; no retry left"))
        #expect(runner.log.contains("exit_status=3"))
        let metrics = try String(contentsOfFile: runner.stateDirectory + "/actions.prom", encoding: .utf8)
        #expect(metrics.contains(#"taskhook_action_attempts_total{action="flaky",outcome="failed"} 3"#), "\(metrics)")
    }

    @Test func aRunnerKilledWhileItsCommandRunsRunsItOnceMoreAfterTheRestartAndNeverAThirdTime() throws {
        let deployment = try ActionsDeployment(
            actions: "actions:\n  - {name: slow, run: SCRIPT}\n",
            scriptBody: "while not os.path.exists(d + '/release'): time.sleep(0.05)")
        defer { deployment.stop() }
        // Whatever happens, a command still waiting for this file ends.
        defer { _ = FileManager.default.createFile(atPath: deployment.directory + "/release", contents: nil) }
        let runner = deployment.runner!
        try runner.start()
        try deployment.send("t-1")
        // "started" is in the ledger before the command starts: once it runs, SIGKILL the runner.
        #expect(waitUntil(.seconds(20)) { deployment.script.runs.count == 1 }, "\(runner.log)")
        runner.kill()
        deployment.script.killAll()  // as systemd ends the whole service's processes
        _ = FileManager.default.createFile(atPath: deployment.directory + "/release", contents: nil)
        try runner.start()
        let row = try #require(runner.waitForOutcome(task: "freepik:t-1", action: "slow", "succeeded"), "\(runner.log)")
        #expect(row["attempts"] as? Int == 2)
        #expect(runner.terminate() == 0)
        try runner.start()
        try deployment.send("t-2")
        #expect(runner.waitForOutcome(task: "freepik:t-2", action: "slow", "succeeded") != nil, "\(runner.log)")
        #expect(deployment.script.runs.map(\.task) == ["t-1", "t-1", "t-2"])
        #expect(deployment.script.environment("t-1")["ACTION_ATTEMPT"] == "2")
    }

    @Test func fetchDownloadsTheSimulatorsVideosResumingAPartialOneAndTheirSumsMatch() throws {
        let videoBytes = 300_000
        let deployment = try SimulatedDeployment(
            simulatorArguments: ["--video-bytes", String(videoBytes)],
            configuration: "actions:\n  - {name: download, fetch: {directory: DIR/videos}}\n")
        defer { deployment.stop() }
        let videos = deployment.directory + "/videos"
        let configuration = try String(contentsOfFile: deployment.directory + "/taskhook.yaml", encoding: .utf8)
        try configuration.replacingOccurrences(of: "DIR", with: deployment.directory)
            .write(toFile: deployment.directory + "/taskhook.yaml", atomically: true, encoding: .utf8)
        let runner = ActionsRunner(
            configPath: deployment.directory + "/taskhook.yaml", stateDirectory: deployment.directory + "/state",
            socket: deployment.daemon.controlSocket)
        defer { runner.stop() }
        try runner.start()
        // The simulator numbers Freepik's tasks: the first is …0001. A partial download of it is
        // there already (a crash mid-transfer): the fetch continues it with a Range request.
        let first = "00000000-0000-4000-8000-000000000001"
        let expected = SimulatedVideo.bytes(taskID: first, count: videoBytes)
        let taskDirectory = videos + "/freepik/" + first
        try FileManager.default.createDirectory(atPath: taskDirectory, withIntermediateDirectories: true)
        try Data(expected.prefix(100_000)).write(to: URL(fileURLWithPath: taskDirectory + "/.\(first).mp4.partial"))
        for _ in 0..<2 {
            let submitted = try deployment.submit("freepik/kling-v2-5-pro", route: "/hooks/freepik", ["duration=5"])
            #expect(submitted.status == 0, "\(submitted)")
        }
        for task in [first, "00000000-0000-4000-8000-000000000002"] {
            let row = try #require(
                runner.waitForOutcome(task: "freepik:" + task, action: "download", "succeeded"), "\(runner.log)")
            let files = try #require(row["files"] as? [[String: Any]])
            let path = videos + "/freepik/\(task)/\(task).mp4"
            #expect(files.first?["path"] as? String == path)
            #expect(files.first?["url"] as? String == deployment.simulator.baseURL + "/videos/\(task).mp4")
            let written = try #require(FileManager.default.contents(atPath: path))
            let served = SimulatedVideo.bytes(taskID: task, count: videoBytes)
            #expect(written == Data(served))
            let sum = SHA256.hash(data: served).map { String(format: "%02x", $0) }.joined()
            #expect(files.first?["sha256"] as? String == sum)
            #expect(files.first?["size"] as? Int == videoBytes)
            let sums = try String(contentsOfFile: videos + "/freepik/\(task)/SHA256SUMS", encoding: .utf8)
            #expect(sums == "\(sum)  \(task).mp4\n")
            #expect(!FileManager.default.fileExists(atPath: videos + "/freepik/\(task)/.\(task).mp4.partial"))
        }
        let videoRequests = deployment.logEntries().compactMap { $0["request"] as? [String: Any] }
            .filter { ($0["path"] as? String)?.hasPrefix("/videos/") == true }
        #expect(videoRequests.map { $0["status"] as? Int } == [206, 200], "\(videoRequests)")
    }
}
