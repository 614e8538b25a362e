import Foundation
import Glibc
import TaskhookPosix
import TestSupport
import Testing

/// Jobs waiting for tasks over the control socket while a provider's callbacks arrive.
@Suite struct ControlAPITests {
    let directory = DaemonProcess.temporaryDirectory()

    func daemon(extra: String = "", arguments: [String] = []) throws -> DaemonProcess {
        try DaemonProcess(arguments: ["--config", try unsignedFreepikConfig(directory, extra: extra)] + arguments)
    }

    func deliver(_ daemon: DaemonProcess, id: Int, task: String, status: String) throws -> Int {
        try deliverFreepik(to: daemon, task: task, status: status, deliveryID: "msg_\(id)")
    }

    func get(_ daemon: DaemonProcess, _ target: String) throws -> TestClient { try controlGet(daemon, target) }

    func json(_ response: TestResponse) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]) ?? [:]
    }

    @Test func aWaiterThatArrivesFirstIsWokenByTheDurableCallback() throws {
        let daemon = try daemon()
        let waiter = try get(daemon, "/v1/tasks/t-1?wait=20")
        usleep(200_000)
        let started = Instant.now()
        #expect(try deliver(daemon, id: 1, task: "t-1", status: "COMPLETED") == 200)
        let answer = try waiter.readResponse(timeout: .seconds(5))
        #expect(Instant.now() - started < .seconds(2))
        #expect(answer.status == 200)
        let task = json(answer)
        #expect(task["status"] as? String == "completed")
        #expect(task["terminal"] as? Bool == true)
        #expect(task["results"] as? [String] == ["https://cdn.example/t-1.mp4"])
    }

    @Test func aTaskAlreadyFinishedIsAnsweredAtOnce() throws {
        let daemon = try daemon()
        #expect(try deliver(daemon, id: 1, task: "t-2", status: "FAILED") == 200)
        let started = Instant.now()
        let answer = try get(daemon, "/v1/tasks/t-2?wait=30").readResponse()
        #expect(Instant.now() - started < .seconds(1))
        #expect(json(answer)["status"] as? String == "failed")
    }

    @Test func aNonTerminalUpdateDoesNotEndAWaitAndItTimesOutWithTheStateSoFar() throws {
        let daemon = try daemon()
        let waiter = try get(daemon, "/v1/tasks/t-3?wait=2")
        usleep(100_000)
        #expect(try deliver(daemon, id: 1, task: "t-3", status: "IN_PROGRESS") == 200)
        #expect(throws: TestClientError.self) { try waiter.readResponse(timeout: .milliseconds(1000)) }
        let answer = try waiter.readResponse(timeout: .seconds(3))
        #expect(json(answer)["terminal"] as? Bool == false)
        #expect(json(answer)["status"] as? String == "in_progress")
        let unknown = try get(daemon, "/v1/tasks/never?wait=1").readResponse(timeout: .seconds(3))
        #expect(unknown.status == 200)
        #expect(json(unknown)["known"] as? Bool == false)
    }

    @Test func aDuplicateDeliveryIsAppliedOnce() throws {
        let daemon = try daemon()
        #expect(try deliver(daemon, id: 7, task: "t-4", status: "COMPLETED") == 200)
        #expect(try deliver(daemon, id: 7, task: "t-4", status: "COMPLETED") == 200)
        let task = json(try get(daemon, "/v1/tasks/t-4").readResponse())
        #expect((task["deliveries"] as? [Any])?.count == 1)
    }

    @Test func unknownTasksAndBadParametersGetPreciseAnswers() throws {
        let daemon = try daemon()
        #expect(try get(daemon, "/v1/tasks/nope").readResponse().status == 404)
        for target in [
            "/v1/tasks/x?wait=soon", "/v1/tasks/x?wait=999999", "/v1/tasks?status=done", "/v1/tasks?limit=0",
            "/v1/tasks?since=yesterday", "/v1/tasks?after=nobody",
        ] {
            let answer = try get(daemon, target).readResponse()
            #expect(answer.status == 400, "\(target)")
            #expect((json(answer)["error"] as? String)?.isEmpty == false, "\(target)")
        }
        let post = try TestClient(.unix(path: daemon.controlSocket))
        try post.send("POST /v1/tasks/x HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
        #expect(try post.readResponse().status == 405)
        // The public listener serves no control routes.
        let outside = try TestClient(daemon.address)
        try outside.send("GET /v1/tasks/t HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try outside.readResponse().status == 404)
    }

    @Test func tasksAreListedWithFiltersAndPages() throws {
        let daemon = try daemon()
        for i in 0..<5 { #expect(try deliver(daemon, id: i, task: "c-\(i)", status: "COMPLETED") == 200) }
        for i in 5..<7 { #expect(try deliver(daemon, id: i, task: "f-\(i)", status: "FAILED") == 200) }
        let failed = json(try get(daemon, "/v1/tasks?status=failed").readResponse())
        #expect((failed["tasks"] as? [[String: Any]])?.compactMap { $0["id"] as? String }.sorted() == ["f-5", "f-6"])
        var seen: [String] = []
        var after: String?
        repeat {
            let page = json(
                try get(daemon, "/v1/tasks?status=completed&limit=2" + (after.map { "&after=\($0)" } ?? ""))
                    .readResponse())
            seen += (page["tasks"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
            after = page["next"] as? String
        } while after != nil
        #expect(seen.sorted() == (0..<5).map { "c-\($0)" })
    }

    @Test func aPageCursorSurvivesTheTaskItEndedOnChanging() throws {
        let daemon = try daemon()
        for i in 0..<4 { #expect(try deliver(daemon, id: i, task: "p-\(i)", status: "IN_PROGRESS") == 200) }
        let first = json(try get(daemon, "/v1/tasks?status=in_progress&limit=2").readResponse())
        let ids = (first["tasks"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
        let next = try #require(first["next"] as? String)
        // The last task of the page finishes, so it no longer matches the filter.
        #expect(try deliver(daemon, id: 10, task: ids[1], status: "COMPLETED") == 200)
        let second = try get(daemon, "/v1/tasks?status=in_progress&limit=2&after=\(next)").readResponse()
        #expect(second.status == 200)
        let rest = (json(second)["tasks"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
        #expect(Set(ids + rest).count == 4)
        #expect(try get(daemon, "/v1/tasks/a+b").readResponse().status == 404)  // '+' stays '+' in a path
    }

    @Test func waitersAreBoundedAndAnsweredCleanlyOnStop() throws {
        let daemon = try daemon(extra: "limits:\n  max-waiters: 2")
        let first = try get(daemon, "/v1/tasks/a?wait=60")
        let second = try get(daemon, "/v1/tasks/b?wait=60")
        usleep(200_000)
        let third = try get(daemon, "/v1/tasks/c?wait=60").readResponse()
        #expect(third.status == 503)
        daemon.signal(SIGTERM)
        for waiter in [first, second] {
            let answer = try waiter.readResponse(timeout: .seconds(3))
            #expect(answer.status == 503)
            #expect(answer.header("Retry-After") != nil)
        }
        #expect(daemon.waitForExit() == 0)
    }

    @Test func theAdminListenerWantsItsBearerToken() throws {
        let daemon = try daemon(
            extra: "control:\n  admin:\n    listen: 127.0.0.1:0\n    token: {value: \"admin-token-for-tests\"}")
        #expect(daemon.waitForLog("listener=admin"))
        let line = daemon.log.split(separator: "\n").first { $0.contains("listener=admin") }!
        let address = try SocketAddress(
            parsing: String(line.split(separator: " ").first { $0.hasPrefix("address=") }!.dropFirst(8)))
        let anonymous = try TestClient(address)
        try anonymous.send("GET /v1/tasks HTTP/1.1\r\nHost: x\r\n\r\n")
        let refused = try anonymous.readResponse()
        #expect(refused.status == 401)
        #expect(refused.header("WWW-Authenticate") != nil)
        let admin = try TestClient(address)
        try admin.send("GET /v1/tasks HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer admin-token-for-tests\r\n\r\n")
        #expect(try admin.readResponse().status == 200)
    }

    /// The `id:` lines of a Server-Sent Events text.
    func eventIDs(_ text: String) -> [Int] {
        text.split(separator: "\n").filter { $0.hasPrefix("id: ") }.compactMap { Int($0.dropFirst(4)) }
    }

    @Test func theEventStreamResumesWithExactlyTheMissedEventsInOrder() throws {
        let daemon = try daemon()
        let stream = try get(daemon, "/v1/events")
        let head = try stream.readText { $0.contains(": taskhook events") }
        #expect(head.hasPrefix("HTTP/1.1 200 OK"))
        #expect(head.contains("Content-Type: text/event-stream"))
        #expect(try deliver(daemon, id: 1, task: "e-1", status: "IN_PROGRESS") == 200)
        #expect(try deliver(daemon, id: 2, task: "e-2", status: "IN_PROGRESS") == 200)
        #expect(try deliver(daemon, id: 3, task: "e-1", status: "COMPLETED") == 200)
        #expect(try deliver(daemon, id: 3, task: "e-1", status: "COMPLETED") == 200)  // a retry: no event
        let live = try stream.readText { self.eventIDs($0).count >= 3 }
        #expect(eventIDs(live) == [1, 2, 3])
        #expect(
            live.contains(
                #""task_id":"e-1","provider":"freepik","status":"completed","terminal":true,"results":["https://cdn.example/e-1.mp4"]"#
            ))
        stream.close()

        #expect(try deliver(daemon, id: 4, task: "e-2", status: "FAILED") == 200)
        #expect(try deliver(daemon, id: 5, task: "e-3", status: "COMPLETED") == 200)
        let resumed = try TestClient(.unix(path: daemon.controlSocket))
        try resumed.send("GET /v1/events HTTP/1.1\r\nHost: x\r\nLast-Event-ID: 3\r\n\r\n")
        let missed = try resumed.readText { self.eventIDs($0).count >= 2 }
        usleep(200_000)
        #expect(eventIDs(missed) == [4, 5])
        let onlyE2 = try get(daemon, "/v1/events?since=0&task=e-2").readText { self.eventIDs($0).count >= 2 }
        #expect(eventIDs(onlyE2) == [2, 4])
        let bad = try get(daemon, "/v1/events?since=yesterday").readResponse()
        #expect(bad.status == 400)
    }

    @Test func metricsCountDeliveriesAnswersCommitsAndTasks() throws {
        let daemon = try daemon()
        #expect(try deliver(daemon, id: 1, task: "m-1", status: "COMPLETED") == 200)
        #expect(try deliver(daemon, id: 1, task: "m-1", status: "COMPLETED") == 200)
        #expect(try deliver(daemon, id: 2, task: "m-2", status: "SOMETHING") == 202)
        let waiter = try get(daemon, "/v1/tasks/m-3?wait=30")
        usleep(200_000)
        let metrics = try get(daemon, "/metrics").readResponse()
        #expect(metrics.status == 200)
        #expect(metrics.header("Content-Type")?.hasPrefix("text/plain; version=0.0.4") == true)
        let text = metrics.text
        for line in [
            #"taskhook_deliveries_total{provider="freepik",outcome="recorded"} 1"#,
            #"taskhook_deliveries_total{provider="freepik",outcome="duplicate"} 1"#,
            #"taskhook_deliveries_total{provider="freepik",outcome="unparsed"} 1"#,
            #"taskhook_tasks{status="completed"} 1"#, "taskhook_waiters 1",
            #"taskhook_http_answers_total{status="202"} 1"#,
        ] {
            #expect(text.contains(line), "missing \(line) in\n\(text)")
        }
        #expect(text.contains("taskhook_journal_commits_total"))
        #expect(text.contains("taskhook_journal_fsync_seconds_bucket"))
        for name in ["taskhook_loop_longest_iteration_seconds", "taskhook_loop_longest_iteration_cpu_seconds"] {
            #expect(text.contains("\n\(name) "), "missing \(name) in\n\(text)")
        }
        waiter.close()
    }

    @Test func theControlSocketHasTheConfiguredMode() throws {
        let daemon = try daemon()
        var st = stat()
        #expect(stat(daemon.controlSocket, &st) == 0)
        #expect(st.st_mode & 0o777 == 0o660)
    }
}
