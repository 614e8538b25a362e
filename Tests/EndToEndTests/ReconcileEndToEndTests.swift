import Foundation
import TaskhookClient
import TaskhookPosix
import TaskhookProviders
import TestSupport
import Testing

/// `taskhook reconcile` between the built daemon and `taskhook simulate`: lost callbacks, races,
/// busy providers, deadlines and a reconciler killed mid-read. Timings are the tests' own (a task
/// quiet for 0.3 s is read), so each runs in a few seconds.
@Suite struct ReconcileEndToEndTests {
    /// The task's deliveries that changed it to `status`.
    func applied(_ task: [String: Any], _ status: String) -> [[String: Any]] {
        ((task["deliveries"] as? [[String: Any]]) ?? []).filter {
            $0["status"] as? String == status && $0["applied"] as? Bool == true
        }
    }

    /// The task's changes to `status`, from the event stream.
    func changes(_ deployment: SimulatedDeployment, _ ref: String, to status: String) throws -> Int {
        let result = try deployment.cli(["events", "--task", ref])
        return result.output.split(separator: "\n").filter { $0.contains("\"status\":\"\(status)\"") }.count
    }

    @Test func lostCallbacksAreMadeUpByPollingTheJournalShowsTheObservationsAndTheWaiterWakesOnce() throws {
        let deployment = try SimulatedDeployment(simulatorArguments: ["--drop-callbacks"])
        defer { deployment.stop() }
        let id = try deployment.submitFreepik()
        let waiter = try deployment.waiter("freepik:\(id)")
        defer { waiter.stop() }
        #expect(
            waiter.wait(timeout: .seconds(25)) == 0, "\(waiter.errorOutput)\n\(deployment.reconcilers[0].errorOutput)")
        #expect(waiter.output == deployment.simulator.baseURL + "/videos/" + id + ".mp4\n")
        let task = try deployment.task("freepik:\(id)")
        #expect(task["status"] as? String == "completed")
        let completions = applied(task, "completed")
        #expect(completions.count == 1)
        #expect(completions.first?["source"] as? String == "observation")
        let observations = try deployment.journalRecords().filter {
            $0["kind"] as? String == "observation" && $0["task_id"] as? String == id
        }
        #expect(observations.contains { $0["status"] as? String == "completed" }, "\(observations)")
        #expect(try changes(deployment, "freepik:\(id)", to: "completed") == 1)
        let log = deployment.reconcilers[0].errorOutput
        #expect(log.contains("info read task=freepik:\(id) endpoint=freepik/kling-v2 outcome=changed status=completed"))
    }

    @Test func aCallbackAndAPollOfTheSameStatusChangeTheTaskOnceAndWakeTheWaiterOnce() throws {
        // The reconciler reads every 0.05 s from the start; the callback (twice) comes 0.3 s after
        // the task ends. When both came within a few milliseconds of each other, the callback
        // sometimes ended the task before the reconciler's next read, which then no longer listed
        // it: the poll's side of the race never ran. Now the poll reads "completed" first and the
        // callbacks repeat it, which must change nothing.
        let deployment = try SimulatedDeployment(
            simulatorArguments: ["--duplicate-callbacks", "--finish-after", "0.8", "--callback-delay", "0.3"],
            reconcilerArguments: ["--quiet-period", "0s", "--poll-interval", "0.05s", "--rate", "100", "--burst", "10"])
        defer { deployment.stop() }
        let id = try deployment.submitFreepik()
        let waiter = try deployment.waiter("freepik:\(id)")
        defer { waiter.stop() }
        #expect(waiter.wait(timeout: .seconds(25)) == 0, "\(waiter.errorOutput)")
        #expect(waiter.output == deployment.simulator.baseURL + "/videos/" + id + ".mp4\n")
        // Let the other side's report (and the repeated callbacks) arrive too: on a loaded machine
        // the reconciler's next read (every 0.05 s, until the relisting drops the ended task) may
        // come well after the wake-up, so wait for it rather than for a fixed time.
        let settled = Instant.now() + .seconds(10)
        while Instant.now() < settled,
            !deployment.reconcilers[0].errorOutput.contains("status=completed")
                || deployment.logEntries().filter({
                    $0["kind"] as? String == "callback" && $0["status"] as? String == "completed" && $0["answer"] != nil
                }).count < 2
        {
            Thread.sleep(forTimeInterval: 0.05)
        }
        let task = try deployment.task("freepik:\(id)")
        #expect(applied(task, "completed").count == 1, "\(task)")
        #expect(try changes(deployment, "freepik:\(id)", to: "completed") == 1)
        // Both sides did report the end: the race was run, whichever won it.
        let callbacks = deployment.logEntries().filter {
            $0["kind"] as? String == "callback" && $0["status"] as? String == "completed"
        }
        #expect(callbacks.count == 2 && callbacks.allSatisfy { $0["answer"] as? Int == 200 }, "\(callbacks)")
        #expect(deployment.reconcilers[0].errorOutput.contains("status=completed"))
    }

    @Test func busyAndFailingReadsBackOffHonourRetryAfterAndThenComplete() throws {
        // One 429 with Retry-After: 1, then three 500s, to status reads only.
        let deployment = try SimulatedDeployment(
            simulatorArguments: [
                "--drop-callbacks", "--faults-on-reads", "--busy", "1", "--retry-after", "1", "--errors", "3",
            ],
            reconcilerArguments: ["--quiet-period", "0s", "--min-backoff", "0.2s", "--max-backoff", "1.6s"])
        defer { deployment.stop() }
        let id = try deployment.submitFreepik()
        let waited = try deployment.cli(["wait", "freepik:\(id)", "--timeout", "20s"])
        #expect(waited.status == 0, "\(waited.error)\n\(deployment.reconcilers[0].errorOutput)")
        let reads = deployment.statusReads(containing: id)
        #expect(Array(reads.map(\.status).prefix(5)) == [429, 500, 500, 500, 200], "\(reads)")
        guard reads.count >= 5 else { return }
        let gaps = zip(reads.dropFirst(), reads).map { $0.time - $1.time }
        // Retry-After, then half of each doubling step (equal jitter): 0.2, 0.4, 0.8 s at least.
        #expect(gaps[0] >= 0.99, "\(gaps)")
        #expect(gaps[1] >= 0.2 && gaps[2] >= 0.4 && gaps[3] >= 0.8, "\(gaps)")
        #expect(gaps[3] > gaps[1], "the backoff grows: \(gaps)")
    }

    @Test func readsStayWithinTheConfiguredRate() throws {
        let deployment = try SimulatedDeployment(
            simulatorArguments: ["--drop-callbacks", "--never-finish"],
            reconcilerArguments: [
                "--quiet-period", "0s", "--poll-interval", "0.01s", "--rate", "freepik=5", "--burst", "1",
            ])
        defer { deployment.stop() }
        for _ in 0..<3 { _ = try deployment.submitFreepik() }
        Thread.sleep(forTimeInterval: 2.5)
        let times = deployment.statusReads(containing: "/v1/ai/image-to-video/kling-v2/").map(\.time)
        #expect(times.count >= 6, "\(times)")
        // A token bucket of 1 at 5 a second: any n reads span at least (n - 1) / 5 s.
        for (i, start) in times.enumerated() {
            for (j, end) in times.enumerated() where j > i {
                #expect(end - start >= Double(j - i) / 5 - 0.05, "reads \(i)…\(j) in \(end - start) s")
            }
        }
    }

    @Test func aTaskThatNeverEndsFailsAtItsDeadlineAndWaitExitsOne() throws {
        let deployment = try SimulatedDeployment(simulatorArguments: ["--never-finish"])
        defer { deployment.stop() }
        let id = try deployment.submitFreepik(extra: ["--deadline", "2s"])
        let waited = try deployment.cli(["wait", "freepik:\(id)", "--timeout", "20s"])
        #expect(waited.status == 1, "\(waited.error)")
        #expect(waited.error.contains("deadline: no callback and no status"), "\(waited.error)")
        let task = try deployment.task("freepik:\(id)")
        #expect(task["status"] as? String == "failed")
        #expect(task["error"] as? String == "deadline: no callback and no status")
        #expect(applied(task, "failed").first?["source"] as? String == "deadline")
    }

    @Test func aReconcilerKilledMidReadAndRestartedLosesNothingAndAppliesNothingTwice() throws {
        let deployment = try SimulatedDeployment(
            simulatorArguments: ["--drop-callbacks", "--finish-after", "0.2"], reconcilerArguments: nil)
        defer { deployment.stop() }
        let ids = try (0..<3).map { _ in try deployment.submitFreepik() }
        // The simulator stops answering: the first reconciler's reads hang until it is killed.
        deployment.simulator.process.signal(SIGSTOP)
        let first = try deployment.startReconciler(["--quiet-period", "0s", "--request-timeout", "30s"])
        Thread.sleep(forTimeInterval: 1)
        first.signal(SIGKILL)
        #expect(first.wait(timeout: .seconds(5)) == 128 + SIGKILL)
        deployment.simulator.process.signal(SIGCONT)
        try deployment.startReconciler(["--quiet-period", "0s"])
        for id in ids {
            let waited = try deployment.cli(["wait", "freepik:\(id)", "--timeout", "20s"])
            #expect(waited.status == 0, "\(id): \(waited.error)")
            let task = try deployment.task("freepik:\(id)")
            #expect(applied(task, "completed").count == 1, "\(task)")
            #expect(try changes(deployment, "freepik:\(id)", to: "completed") == 1)
        }
    }

    @Test func aTaskRegisteredWithExpectIsPolledFromItsEndpointAndEndsByObservation() async throws {
        let deployment = try SimulatedDeployment(simulatorArguments: ["--drop-callbacks"], reconcilerArguments: nil)
        defer { deployment.stop() }
        // Another program's submit: the simulator knows the task, taskhookd does not.
        let endpoint = SeedEndpoint.falKlingV25TurboPro
        let request = try endpoint.createRequest(
            parameters: endpoint.exampleParameters, callbackURL: nil, baseURL: deployment.simulator.baseURL,
            credentials: .apiKey("key-fal-key"), now: 0)
        let answer = try await ProviderExchange.send(request, timeout: 5)
        let id = try endpoint.readCreateAnswer(
            status: answer.status, body: Array(answer.body), baseURL: deployment.simulator.baseURL
        ).taskID
        let expected = try deployment.cli([
            "expect", "fal", id, "--endpoint", endpoint.rawValue, "--label", "job=e2e", "--deadline", "10m",
        ])
        #expect(expected.status == 0, "\(expected.error)")
        #expect(expected.output.contains("labels      job=e2e"), "\(expected.output)")
        // No status URL was registered: the reconciler builds fal's queue URL under its --base-url.
        try deployment.startReconciler(["--quiet-period", "0s"])
        let waited = try deployment.cli(["wait", "fal:\(id)", "--timeout", "20s"])
        #expect(waited.status == 0, "\(waited.error)")
        #expect(waited.output == deployment.simulator.baseURL + "/videos/" + id + ".mp4\n")
    }

    @Test func onePassReadsWhatIsDueAndExitsAndSIGTERMEndsTheContinuousOneCleanly() throws {
        let deployment = try SimulatedDeployment(simulatorArguments: ["--drop-callbacks"], reconcilerArguments: nil)
        defer { deployment.stop() }
        let id = try deployment.submitFreepik()
        Thread.sleep(forTimeInterval: 0.7)  // past the simulator's 0.5 s to the end
        let pass = try deployment.cli([
            "reconcile", "--once", "--key-dir", deployment.keyDirectory, "--base-url", deployment.simulator.baseURL,
            "--quiet-period", "0s",
        ])
        #expect(pass.status == 0, "\(pass.error)")
        #expect(
            pass.error.contains("read task=freepik:\(id) endpoint=freepik/kling-v2 outcome=changed status=completed"))
        #expect(pass.error.contains("info pass done read=1 unread=0"), "\(pass.error)")
        #expect(try deployment.task("freepik:\(id)")["status"] as? String == "completed")
        let running = try deployment.startReconciler()
        Thread.sleep(forTimeInterval: 0.5)
        running.signal(SIGTERM)
        #expect(running.wait(timeout: .seconds(10)) == 0, "\(running.errorOutput)")
        #expect(running.errorOutput.contains("info stopping signal=SIGTERM"), "\(running.errorOutput)")
    }

    @Test func onePassThatCannotReadATaskExitsOneNamingIt() throws {
        let deployment = try SimulatedDeployment(
            simulatorArguments: ["--drop-callbacks", "--faults-on-reads", "--errors", "100"], reconcilerArguments: nil)
        defer { deployment.stop() }
        let id = try deployment.submitFreepik()
        let pass = try deployment.cli([
            "reconcile", "--once", "--key-dir", deployment.keyDirectory, "--base-url", deployment.simulator.baseURL,
            "--quiet-period", "0s", "--min-backoff", "0.05s", "--max-backoff", "0.1s",
        ])
        #expect(pass.status == 1, "\(pass.error)")
        #expect(
            pass.error.contains("could not read freepik:\(id): the provider is unavailable (HTTP 500)"), "\(pass.error)"
        )
        #expect(deployment.statusReads(containing: id).count == 3)
    }

    @Test func submitRefusesToCallTheProviderWhenTaskhookdCannotBeReached() throws {
        let deployment = try SimulatedDeployment(reconcilerArguments: nil)
        defer { deployment.stop() }
        deployment.daemon.process.stop()
        let result = try deployment.submit(
            "freepik/kling-v2", route: "/hooks/freepik", ["image=https://example.com/cat.jpg", "duration=5"],
            wait: false)
        #expect(result.status == 69)
        #expect(result.error.contains("nothing was sent to the provider"), "\(result.error)")
        #expect(deployment.logEntries().isEmpty)
    }

    @Test func aRegistrationTaskhookdRefusesIsExitSixtyFiveAndTheProviderIsNotCalled() throws {
        let deployment = try SimulatedDeployment(reconcilerArguments: nil)
        defer { deployment.stop() }
        let result = try deployment.cli(["expect", "acme", "p-1"])
        #expect(result.status == 65, "\(result.error)")
        #expect(result.error.contains("refused the registration"), "\(result.error)")
    }

    @Test func aCreateTheProviderRefusesWithdrawsItsRegistration() throws {
        // The simulator answers the create 429: no task was started, so nothing stays expected.
        let deployment = try SimulatedDeployment(simulatorArguments: ["--busy", "1"], reconcilerArguments: nil)
        defer { deployment.stop() }
        let result = try deployment.submit(
            "freepik/kling-v2", route: "/hooks/freepik", ["image=https://example.com/cat.jpg", "duration=5"],
            wait: false)
        #expect(result.status == 69, "\(result.error)")
        let expected = try controlGet(deployment.daemon, "/v1/expected").readResponse()
        let page = try JSONSerialization.jsonObject(with: Data(expected.body)) as? [String: Any]
        #expect((page?["pending"] as? [Any])?.isEmpty == true, "\(expected.text)")
        let dump = try DaemonProcess.runCLI(["journal", "dump", "--dir", deployment.journal])
        #expect(dump.output.contains(#""withdrawn":true"#), "\(dump.output)")
    }
}
