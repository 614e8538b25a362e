import Foundation
import Glibc
import TaskhookPosix
import TestSupport
import Testing

// What changes with a reload, end to end: a secret rotation on a Replicate route, callbacks the
// running profile could not read becoming readable, and two routes whose tasks share ids. The
// callbacks are signed by PyPI `standardwebhooks` (freepik_client.py; Replicate signs the same way).

/// A taskhookd whose configuration file the test rewrites and reloads with SIGHUP.
private final class ReloadedDaemon {
    let directory = DaemonProcess.temporaryDirectory()
    private(set) var daemon: DaemonProcess!
    private(set) var port: UInt16 = 0
    private var reloads = 0
    private var plans = 0

    init(routes: String) throws {
        try writeConfiguration(routes)
        try start()
    }

    deinit {
        daemon = nil  // kills it if a test stopped early
        try? FileManager.default.removeItem(atPath: directory)
    }

    func start() throws {
        daemon = try DaemonProcess(
            arguments: ["--config", directory + "/taskhook.yaml", "--journal-dir", directory + "/journal"])
        guard case .ipv4(_, let port) = daemon.address else { throw TestClientError("not IPv4: \(daemon.address)") }
        self.port = port
        reloads = 0
    }

    func restart() throws {
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit() == 0, "taskhookd did not stop cleanly: \(daemon.log)")
        try start()
    }

    func write(_ text: String, to name: String) throws {
        try text.write(toFile: directory + "/" + name, atomically: true, encoding: .utf8)
    }

    private func writeConfiguration(_ routes: String) throws {
        try write(
            "journal:\n  directory: \(directory)/journal\n  sync: always\nroutes:\n" + routes, to: "taskhook.yaml")
    }

    /// Rewrites the routes and reloads; returns once the daemon logged the reload.
    func reload(routes: String) throws {
        try writeConfiguration(routes)
        reloads += 1
        daemon.signal(SIGHUP)
        let deadline = Instant.now() + .seconds(5)
        while daemon.log.components(separatedBy: " reloaded routes=").count - 1 < reloads, Instant.now() < deadline {
            usleep(10_000)
        }
        try #require(
            daemon.log.components(separatedBy: " reloaded routes=").count - 1 >= reloads, "no reload: \(daemon.log)")
    }

    /// Standard Webhooks deliveries through freepik_client.py; each answer's status by name.
    func send(_ plan: [[String: Any]]) throws -> [String: (status: Int, body: String)] {
        plans += 1
        let path = directory + "/plan-\(plans).json"
        try JSONSerialization.data(withJSONObject: plan).write(to: URL(fileURLWithPath: path))
        let output = try python([clientsDirectory + "/freepik_client.py", path, "127.0.0.1", "\(port)"])
        var answers: [String: (status: Int, body: String)] = [:]
        for line in output.split(separator: "\n") {
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                let name = object["name"] as? String, let status = object["status"] as? Int
            else { throw TestClientError("unreadable client line: \(line)") }
            answers[name] = (status, object["body"] as? String ?? "")
        }
        return answers
    }

    /// A control API request; `wait` leaves the answer to be read later.
    func control(_ target: String) throws -> TestClient {
        let client = try TestClient(.unix(path: daemon.controlSocket))
        try client.send("GET \(target) HTTP/1.1\r\nHost: localhost\r\n\r\n")
        return client
    }

    func controlJSON(_ target: String) throws -> (status: Int, json: [String: Any]) {
        let response = try control(target).readResponse()
        let json = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any] ?? [:]
        return (response.status, json)
    }
}

private func whsec() -> String {
    "whsec_" + Data((0..<24).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
}
private func deliveryID() -> String { "msg_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "") }

/// A Replicate prediction callback (https://replicate.com/docs/topics/webhooks/receive-webhook).
private func prediction(_ id: String, _ status: String) -> String {
    #"{"id":"\#(id)","model":"kwaivgi/kling-v2.1","status":"\#(status)","input":{"prompt":"a cat"},"#
        + #""output":\#(status == "succeeded" ? #"["https://replicate.delivery/\#(id).mp4"]"# : "null"),"#
        + #""error":null,"logs":"","metrics":{}}"#
}

@Suite struct RouteChangesEndToEndTests {
    @Test func aReplicateSecretRotatesAcrossReloadsWithoutA401ForValidCallbacks() throws {
        let (old, new) = (whsec(), whsec())
        func routes(_ secrets: [String]) -> String {
            "  - path: /hooks/replicate\n    provider: replicate\n    secrets:\n"
                + secrets.map { "      - {file: \($0)}\n" }.joined()
        }
        let hook = try ReloadedDaemon(routes: "")
        try hook.write(old, to: "old.secret")
        try hook.write(new, to: "new.secret")
        let (oldFile, newFile) = (hook.directory + "/old.secret", hook.directory + "/new.secret")
        try hook.reload(routes: routes([oldFile]))
        func callback(_ name: String, _ secrets: [String], status: String = "succeeded") -> [String: Any] {
            [
                "name": name, "path": "/hooks/replicate", "secrets": secrets, "id": deliveryID(),
                "body": prediction("p-" + name, status),
            ]
        }

        var answers = try hook.send([callback("old-only", [old])])
        // The sender starts signing with both while the route still knows only the old one.
        answers.merge(try hook.send([callback("both-before", [new, old])])) { $1 }
        try hook.reload(routes: routes([newFile, oldFile]))
        answers.merge(
            try hook.send([
                callback("old-during", [old]), callback("both-during", [new, old]), callback("new-during", [new]),
            ])
        ) { $1 }
        try hook.reload(routes: routes([newFile]))
        answers.merge(try hook.send([callback("new-after", [new]), callback("old-after", [old])])) { $1 }

        for name in ["old-only", "both-before", "old-during", "both-during", "new-during", "new-after"] {
            #expect(answers[name]?.status == 200, "\(name): \(String(describing: answers[name]))")
        }
        #expect(answers["old-after"]?.status == 401)
        #expect(answers["old-after"]?.body.contains("no v1 signature matched") == true, "\(answers)")
        #expect(try hook.controlJSON("/v1/tasks/p-old-after").status == 404)
        #expect(try hook.controlJSON("/v1/tasks/replicate:p-new-after").json["status"] as? String == "completed")
    }

    @Test func anUnknownStatusWordIsListedThenAppliedOnceAfterTheReloadThatMapsIt() throws {
        let secret = whsec()
        func routes(_ words: String) -> String {
            """
              - path: /hooks/jobs
                provider: standard-webhooks
                name: jobs
                secret: {file: DIR/jobs.secret}
                task-id: /id
                status: /state
                results: /urls
                status-map: {\(words)}

            """
        }
        let hook = try ReloadedDaemon(routes: "")
        try hook.write(secret, to: "jobs.secret")
        let known = routes("running: in_progress, done: completed").replacingOccurrences(
            of: "DIR", with: hook.directory)
        try hook.reload(routes: known)
        let body = #"{"id":"j-1","state":"finished","urls":["https://cdn.example/j-1.mp4"]}"#
        let answer = try hook.send([
            ["name": "finished", "path": "/hooks/jobs", "secret": secret, "id": deliveryID(), "body": body]
        ])
        // Answered 202: durable, and read again at every reload (see README, "Unparsed callbacks").
        #expect(answer["finished"]?.status == 202, "\(answer)")
        let listed = try hook.controlJSON("/v1/unparsed").json["unparsed"] as? [[String: Any]] ?? []
        #expect(listed.count == 1)
        let sequence = listed.first?["sequence"] as? Int
        #expect((listed.first?["reason"] as? String)?.contains("finished") == true, "\(listed)")
        #expect(try hook.controlJSON("/v1/tasks/j-1").status == 404)

        let waiter = try hook.control("/v1/tasks/jobs:j-1?wait=20")
        usleep(200_000)
        let mapped = routes("running: in_progress, done: completed, finished: completed")
            .replacingOccurrences(of: "DIR", with: hook.directory)
        try hook.reload(routes: mapped)
        let woken = try waiter.readResponse(timeout: .seconds(10))
        let task = (try? JSONSerialization.jsonObject(with: Data(woken.body))) as? [String: Any] ?? [:]
        #expect(woken.status == 200 && task["status"] as? String == "completed", "\(woken.text)")
        #expect(task["results"] as? [String] == ["https://cdn.example/j-1.mp4"])
        let reports = task["deliveries"] as? [[String: Any]] ?? []
        #expect(reports.map { $0["sequence"] as? Int } == [sequence], "applied with its original sequence")
        #expect((try hook.controlJSON("/v1/unparsed").json["unparsed"] as? [Any])?.isEmpty == true)

        // Another reload and a restart read nothing again: it was applied once.
        try hook.reload(routes: mapped)
        try hook.restart()
        let after = try hook.controlJSON("/v1/tasks/jobs:j-1").json
        let listing = try hook.controlJSON("/v1/tasks").json
        #expect((after["deliveries"] as? [Any])?.count == 1, "\(after) \(listing) \(hook.daemon.log)")
        #expect((try hook.controlJSON("/v1/unparsed").json["unparsed"] as? [Any])?.isEmpty == true)
    }

    @Test func twoRoutesDeliveringTheSameTaskIdKeepTwoTasks() throws {
        let secret = whsec()
        let hook = try ReloadedDaemon(routes: "")
        try hook.write(secret, to: "s.secret")
        try hook.reload(
            routes: ["alpha", "beta"].map { name in
                """
                  - path: /hooks/\(name)
                    provider: standard-webhooks
                    name: \(name)
                    secret: {file: \(hook.directory)/s.secret}
                    task-id: /id
                    status: /state
                    results: /url
                    status-map: {done: completed, running: in_progress}

                """
            }.joined())
        let answers = try hook.send([
            [
                "name": "alpha", "path": "/hooks/alpha", "secret": secret, "id": deliveryID(),
                "body": #"{"id":"7","state":"done","url":"https://a.example/7.mp4"}"#,
            ],
            [
                "name": "beta", "path": "/hooks/beta", "secret": secret, "id": deliveryID(),
                "body": #"{"id":"7","state":"running"}"#,
            ],
        ])
        #expect(answers.values.allSatisfy { $0.status == 200 }, "\(answers)")
        let alpha = try hook.controlJSON("/v1/tasks/alpha:7").json
        let beta = try hook.controlJSON("/v1/tasks/beta:7").json
        #expect(
            alpha["status"] as? String == "completed" && alpha["results"] as? [String] == ["https://a.example/7.mp4"])
        #expect(beta["status"] as? String == "in_progress" && beta["results"] as? [String] == [])
        let bare = try hook.controlJSON("/v1/tasks/7")
        #expect(bare.status == 409)
        #expect(bare.json["candidates"] as? [String] == ["alpha:7", "beta:7"])
        // The CLI says the same, and names the task it was asked for.
        let cli = try DaemonProcess.runCLI(["status", "--socket", hook.daemon.controlSocket, "beta:7"])
        #expect(cli.status == 0 && cli.output.contains("in_progress"), "\(cli)")
    }
}
