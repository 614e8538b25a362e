import Foundation
import Glibc
import TaskhookPosix
import TestSupport
import Testing

/// Expected tasks on the daemon's side (issue 12): registered on the control socket as a job
/// does before and after calling the provider, ended by the callback, by a status read handed
/// in as an observation, or by the deadline, and all of it kept across a restart.
@Suite struct ExpectationEndToEndTests {
    let directory = DaemonProcess.temporaryDirectory()

    var arguments: [String] {
        get throws { ["--config", try unsignedFreepikConfig(directory), "--journal-dir", directory + "/journal"] }
    }

    func post(_ daemon: DaemonProcess, _ target: String, _ body: String) throws -> TestResponse {
        let client = try TestClient(.unix(path: daemon.controlSocket))
        try client.send(
            "POST \(target) HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                + "Content-Length: \(body.utf8.count)\r\n\r\n\(body)")
        return try client.readResponse()
    }

    func get(_ daemon: DaemonProcess, _ target: String) throws -> TestClient { try controlGet(daemon, target) }

    func json(_ response: TestResponse) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]) ?? [:]
    }

    func task(_ daemon: DaemonProcess, _ reference: String) throws -> [String: Any] {
        json(try get(daemon, "/v1/tasks/\(reference)").readResponse())
    }

    static var now: Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    @Test func aTaskRegisteredBeforeSubmittingIsBoundEndedByItsCallbackAndKeptAcrossARestart() throws {
        let first = try DaemonProcess(arguments: try arguments)
        let registered = try post(
            first, "/v1/tasks",
            #"{"provider":"freepik","registration":"job-1","endpoint":"freepik/kling-v2","labels":{"job":"7"}}"#)
        #expect(registered.status == 201, "\(registered.text)")
        #expect(json(registered)["registration"] as? String == "job-1")
        // The same registration again changes nothing and is answered 200.
        #expect(try post(first, "/v1/tasks", #"{"provider":"freepik","registration":"job-1"}"#).status == 200)
        let expected = json(try get(first, "/v1/expected").readResponse())
        #expect((expected["pending"] as? [[String: Any]])?.first?["registration"] as? String == "job-1")

        let bound = try post(
            first, "/v1/tasks",
            #"{"provider":"freepik","id":"t-1","registration":"job-1","status_url":"https://api.example/t-1"}"#)
        #expect(bound.status == 201, "\(bound.text)")
        let boundTask = json(bound)
        #expect(boundTask["status"] as? String == "created")
        let expectation = boundTask["expected"] as? [String: Any]
        #expect(expectation?["endpoint"] as? String == "freepik/kling-v2")
        #expect((expectation?["labels"] as? [String: String]) == ["job": "7"])
        let listed = json(try get(first, "/v1/expected").readResponse())
        #expect((listed["tasks"] as? [[String: Any]])?.map { $0["key"] as? String } == ["freepik:t-1"])
        #expect((listed["pending"] as? [Any])?.isEmpty == true)

        let waiter = try get(first, "/v1/tasks/freepik:t-1?wait=20")
        usleep(100_000)
        #expect(try deliverFreepik(to: first, task: "t-1", status: "COMPLETED", deliveryID: "m1") == 200)
        let woken = json(try waiter.readResponse(timeout: .seconds(5)))
        #expect(woken["status"] as? String == "completed")

        first.signal(SIGTERM)
        #expect(first.waitForExit() == 0)
        let second = try DaemonProcess(arguments: try arguments)
        let after = try task(second, "freepik:t-1")
        #expect(after["status"] as? String == "completed")
        #expect((after["expected"] as? [String: Any])?["registration"] as? String == "job-1")
        #expect((json(try get(second, "/v1/expected").readResponse())["tasks"] as? [Any])?.isEmpty == true)
    }

    @Test func anObservationIsJournaledAppliedOnceAndTheCallbackAfterItChangesNothing() throws {
        let daemon = try DaemonProcess(arguments: try arguments)
        #expect(try post(daemon, "/v1/tasks", #"{"provider":"freepik","id":"t-2"}"#).status == 201)
        let waiter = try get(daemon, "/v1/tasks/freepik:t-2?wait=20")
        usleep(100_000)
        let observation =
            #"{"data":{"task_id":"t-2","status":"COMPLETED","generated":["https://cdn.example/t-2.mp4"]}}"#
        let observed = try post(daemon, "/v1/tasks/freepik:t-2/observations", observation)
        #expect(observed.status == 200, "\(observed.text)")
        #expect(json(observed)["outcome"] as? String == "changed")
        let woken = json(try waiter.readResponse(timeout: .seconds(5)))
        #expect(woken["results"] as? [String] == ["https://cdn.example/t-2.mp4"])
        #expect(
            json(try post(daemon, "/v1/tasks/freepik:t-2/observations", observation))["outcome"] as? String
                == "duplicate")
        #expect(try deliverFreepik(to: daemon, task: "t-2", status: "COMPLETED", deliveryID: "m2") == 200)
        let deliveries = try task(daemon, "t-2")["deliveries"] as? [[String: Any]]
        #expect(deliveries?.map { $0["source"] as? String } == ["observation", "callback"])
        #expect(deliveries?.map { $0["applied"] as? Bool } == [true, false])

        // Unknown tasks, other tasks' documents and unreadable ones are refused, naming why.
        #expect(try post(daemon, "/v1/tasks/freepik:nope/observations", observation).status == 404)
        let other = try post(
            daemon, "/v1/tasks/freepik:t-2/observations", #"{"data":{"task_id":"t-9","status":"FAILED"}}"#)
        #expect(other.status == 422)
        #expect(other.text.contains("freepik:t-9"))
        #expect(try post(daemon, "/v1/tasks/freepik:t-2/observations", "[1]").status == 422)

        let dump = try DaemonProcess.runCLI(["journal", "dump", "--dir", directory + "/journal"])
        let kinds = dump.output.split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["kind"] as? String
        }
        #expect(kinds == ["expect", "observation", "delivery"])
        let metrics = try get(daemon, "/metrics").readResponse().text
        #expect(metrics.contains(#"taskhook_observations_total{outcome="changed"} 1"#))
        #expect(metrics.contains(#"taskhook_observations_total{outcome="duplicate"} 1"#))
        #expect(metrics.contains(#"taskhook_observations_total{outcome="refused"} 3"#))
    }

    @Test func aTaskPastItsDeadlineEndsFailedItsWaiterLearnsItAndARestartAgrees() throws {
        let first = try DaemonProcess(arguments: try arguments)
        let deadline = Self.now + 1_500
        #expect(
            try post(first, "/v1/tasks", #"{"provider":"freepik","id":"t-3","deadline":\#(deadline)}"#).status == 201)
        let started = Instant.now()
        let woken = json(try get(first, "/v1/tasks/freepik:t-3?wait=20").readResponse(timeout: .seconds(10)))
        #expect(Instant.now() - started < .seconds(5))
        #expect(woken["status"] as? String == "failed")
        #expect(woken["error"] as? String == "deadline: no callback and no status")
        let wait = try DaemonProcess.runCLI(["wait", "freepik:t-3", "--socket", first.controlSocket, "--timeout", "5s"])
        #expect(wait.status == 1)
        let metrics = try get(first, "/metrics").readResponse().text
        #expect(metrics.contains("taskhook_deadlines_reached_total 1"))
        #expect(metrics.contains("taskhook_tasks_awaited 0"))
        // A late callback is kept in the history; the task stays failed.
        #expect(try deliverFreepik(to: first, task: "t-3", status: "COMPLETED", deliveryID: "m3") == 200)
        first.signal(SIGTERM)
        #expect(first.waitForExit() == 0)
        let second = try DaemonProcess(arguments: try arguments)
        let after = try task(second, "freepik:t-3")
        #expect(after["status"] as? String == "failed")
        #expect((after["deliveries"] as? [[String: Any]])?.map { $0["source"] as? String } == ["deadline", "callback"])
    }

    @Test func badRegistrationsAreRefusedNamingTheProblem() throws {
        let daemon = try DaemonProcess(arguments: try arguments)
        let unknownProvider = try post(daemon, "/v1/tasks", #"{"provider":"acme","id":"x"}"#)
        #expect(unknownProvider.status == 422)
        #expect(unknownProvider.text.contains("acme"))
        // A built-in provider without a route (tasks only ever polled, as seed 004's) is taken.
        #expect(try post(daemon, "/v1/tasks", #"{"provider":"fal","id":"polled-only"}"#).status == 201)
        #expect(try post(daemon, "/v1/tasks", "not json").status == 400)
        let past = try post(daemon, "/v1/tasks", #"{"provider":"freepik","id":"x","deadline":1000}"#)
        #expect(past.status == 400)
        #expect(past.text.contains("deadline"))
        let unbound = try post(daemon, "/v1/tasks", #"{"provider":"freepik","id":"x","registration":"never"}"#)
        #expect(unbound.status == 404)
        #expect(try post(daemon, "/v1/tasks", #"{"provider":"freepik","registration":"gone"}"#).status == 201)
        let withdrawal = #"{"provider":"freepik","registration":"gone","withdrawn":true}"#
        #expect(try post(daemon, "/v1/tasks", withdrawal).status == 200)
        #expect(try post(daemon, "/v1/tasks", withdrawal).status == 404)
        let put = try TestClient(.unix(path: daemon.controlSocket))
        try put.send("PUT /v1/tasks HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
        #expect(try put.readResponse().status == 405)
        #expect(try post(daemon, "/v1/tasks/freepik:x", "{}").status == 405)
        let text = try TestClient(.unix(path: daemon.controlSocket))
        try text.send("POST /v1/tasks HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\n{}")
        #expect(try text.readResponse().status == 415)
        let large = String(repeating: " ", count: 64 * 1024) + #"{"provider":"freepik","id":"x"}"#
        #expect(try post(daemon, "/v1/tasks", large).status == 413)
    }
}
