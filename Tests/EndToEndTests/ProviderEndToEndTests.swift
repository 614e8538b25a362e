import Foundation
import Glibc
import TaskhookPosix
import TestSupport
import Testing

// Provider callbacks end to end: independent Python clients sign Freepik-shaped callbacks with PyPI
// `standardwebhooks` and fal-shaped ones with PyPI `cryptography` (Ed25519), POST them to a running
// taskhookd, and the test reads what each became from `taskhook journal dump` after a clean stop.

/// The Python clients, next to this file.
let clientsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("clients").path

/// What the daemon answered one delivery, as a client printed it.
private struct Answer: CustomStringConvertible {
    var name: String
    var status: Int
    var body: String

    /// The answer body as a JSON object (the daemon answers 200/202 with one).
    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:]
    }
    var isDuplicate: Bool { json["duplicate"] as? Bool == true }
    var tasks: [String] { json["tasks"] as? [String] ?? [] }
    var description: String { "\(name): \(status) \(body)" }
}

/// One record line of `taskhook journal dump`.
private struct JournalLine {
    var fields: [String: Any]
    var kind: String? { fields["kind"] as? String }
    var taskID: String? { fields["task_id"] as? String }
    var status: String? { fields["status"] as? String }
    var deliveryID: String? { fields["delivery_id"] as? String }
    var results: [String]? { fields["results"] as? [String] }
    var error: String? { fields["error"] as? String }
    var body: String? { fields["body"] as? String }
}

/// Runs `python3` from PATH on a client script; a missing package makes the script exit 3 naming it.
func python(_ arguments: [String]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3"] + arguments
    var environment = ProcessInfo.processInfo.environment
    environment["PYTHONDONTWRITEBYTECODE"] = "1"
    process.environment = environment
    let stdout = Pipe()
    let stderr = Pipe()
    process.standardInput = FileHandle.nullDevice
    process.standardOutput = stdout
    process.standardError = stderr
    try process.run()
    // The clients print a line per delivery and little else: neither pipe fills while the other is read.
    let output = stdout.fileHandleForReading.readDataToEndOfFile()
    let error = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    let status = process.terminationStatus
    guard status == 0 else {
        let hint =
            status == 3
            ? " (the end-to-end tests need `pip install standardwebhooks cryptography` for python3 on PATH)"
            : status == 127 ? " (is python3 on PATH?)" : ""
        throw TestClientError("python3 \(arguments.joined(separator: " ")) exited \(status)\(hint): \(error)")
    }
    return String(decoding: output, as: UTF8.self)
}

private func random(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8.random(in: 0...255) } }
private func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }
private func uuid() -> String { UUID().uuidString.lowercased() }
private func messageID() -> String { "msg_" + hex(random(12)) }

/// A taskhookd with a route for each signing setup under test, its secrets, fal's JWKS made by the fal
/// client, and a journal of its own.
private final class SignedDaemon {
    /// A Standard Webhooks secret: `whsec_` + base64 of 24 random bytes.
    let whsec = "whsec_" + Data(random(24)).base64EncodedString()
    /// Raw secret text that is not base64 ('-' and '.'), so key-mode auto can only read it raw.
    let rawSecret = "fpk-e2e." + hex(random(16))
    /// Raw secret text that happens to be valid base64: key-mode auto must still try its UTF-8 bytes.
    let base64LookingSecret = String(
        (0..<32).map { _ in "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789".randomElement()! })
    let directory = DaemonProcess.temporaryDirectory()
    var journal: String { directory + "/journal" }
    var falKey: String { directory + "/fal-private.hex" }
    private(set) var daemon: DaemonProcess!
    private var port: UInt16 = 0
    private var plans = 0

    init() throws {
        try write(whsec, to: "freepik.secret")
        try write(rawSecret, to: "freepik-raw.secret")
        try write(base64LookingSecret, to: "freepik-raw-b64.secret")
        _ = try python([clientsDirectory + "/fal_client.py", "keygen", falKey, directory + "/fal-jwks.json"])
        try write(
            """
            journal:
              directory: \(journal)
              sync: always
            routes:
              - path: /hooks/freepik
                provider: freepik
                secret: {file: \(directory)/freepik.secret}
                key-mode: auto
                tolerance: 300s
              - path: /hooks/freepik-raw
                provider: freepik
                secret: {file: \(directory)/freepik-raw.secret}
                key-mode: auto
              - path: /hooks/freepik-raw-b64
                provider: freepik
                secret: {file: \(directory)/freepik-raw-b64.secret}
                key-mode: auto
              - path: /hooks/freepik-standard
                provider: freepik
                secret: {file: \(directory)/freepik.secret}
                key-mode: standard
              - path: /hooks/freepik-rawmode
                provider: freepik
                secret: {file: \(directory)/freepik.secret}
                key-mode: raw
              - path: /hooks/fal
                provider: fal
                jwks: {file: \(directory)/fal-jwks.json}
            """, to: "taskhook.yaml")
        daemon = try DaemonProcess(arguments: ["--config", directory + "/taskhook.yaml", "--journal-dir", journal])
        guard case .ipv4(_, let port) = daemon.address else { throw TestClientError("not IPv4: \(daemon.address)") }
        self.port = port
    }

    deinit {
        daemon = nil  // kills it if a test stopped early
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func write(_ text: String, to name: String) throws {
        try text.write(toFile: directory + "/" + name, atomically: true, encoding: .utf8)
    }

    /// Freepik-shaped deliveries through `freepik_client.py` (see its doc for the fields).
    func sendFreepik(_ plan: [[String: Any]]) throws -> [String: Answer] {
        let script = clientsDirectory + "/freepik_client.py"
        return try answers(plan, try python([script, try write(plan), "127.0.0.1", "\(port)"]))
    }

    /// fal-shaped deliveries through `fal_client.py send` (see its doc for the fields).
    func sendFal(_ plan: [[String: Any]]) throws -> [String: Answer] {
        let script = clientsDirectory + "/fal_client.py"
        return try answers(plan, try python([script, "send", falKey, try write(plan), "127.0.0.1", "\(port)"]))
    }

    /// Writes a plan for a client to a file of its own; returns its path.
    private func write(_ plan: [[String: Any]]) throws -> String {
        plans += 1
        let path = directory + "/plan-\(plans).json"
        try JSONSerialization.data(withJSONObject: plan).write(to: URL(fileURLWithPath: path))
        return path
    }

    private func answers(_ plan: [[String: Any]], _ output: String) throws -> [String: Answer] {
        var answers: [String: Answer] = [:]
        for line in output.split(separator: "\n") {
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                let name = object["name"] as? String, let status = object["status"] as? Int
            else { throw TestClientError("unreadable client line: \(line)") }
            answers[name] = Answer(name: name, status: status, body: object["body"] as? String ?? "")
        }
        guard answers.count == plan.count else {
            throw TestClientError("sent \(plan.count) deliveries, got \(answers.count) answers: \(output)")
        }
        return answers
    }

    /// Stops the daemon cleanly (SIGTERM) and returns the journal's delivery and unparsed records.
    func stopAndReadJournal() throws -> [JournalLine] {
        daemon.signal(SIGTERM)
        let exit = daemon.waitForExit()
        #expect(exit == 0, "taskhookd did not stop cleanly: \(daemon.log)")
        let result = try DaemonProcess.runCLI(["journal", "dump", "--dir", journal])
        try #require(result.status == 0, "taskhook journal dump failed: \(result.error)")
        let lines = try result.output.split(separator: "\n").map { line in
            guard let fields = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                throw TestClientError("not a JSON object: \(line)")
            }
            return JournalLine(fields: fields)
        }
        #expect(lines.contains { $0.kind == "checkpoint" }, "a clean stop writes a checkpoint")
        return lines.filter { $0.kind != "checkpoint" }
    }
}

/// A Freepik delivery for `freepik_client.py`.
private func freepik(
    _ name: String, body: String, id: String = messageID(), path: String = "/hooks/freepik", secret: String,
    keyMode: String = "standard", skew: Int = 0, send: [String: Any]? = nil
) -> [String: Any] {
    var delivery: [String: Any] = [
        "name": name, "path": path, "secret": secret, "key_mode": keyMode, "id": id, "body": body, "skew": skew,
    ]
    if let send { delivery["send"] = send }
    return delivery
}

/// A fal delivery for `fal_client.py send`.
private func fal(
    _ name: String, body: String, requestID: String, userID: String = "a1b2c3d4-user", skew: Int = 0,
    wrongKey: Bool = false, send: [String: Any]? = nil
) -> [String: Any] {
    var delivery: [String: Any] = [
        "name": name, "path": "/hooks/fal", "request_id": requestID, "user_id": userID, "body": body, "skew": skew,
        "wrong_key": wrongKey,
    ]
    if let send { delivery["send"] = send }
    return delivery
}

/// Freepik's webhook body: the GET-status answer without (or, as some senders do, with) its `data` wrapper.
private func freepikBody(task: String, status: String, generated: [String] = [], wrapped: Bool = false) -> String {
    let urls = generated.map { "\"\($0)\"" }.joined(separator: ",")
    let task = #"{"task_id":"\#(task)","status":"\#(status)","generated":[\#(urls)]}"#
    return wrapped ? #"{"data":\#(task)}"# : task
}

/// fal's queue callback for a kling-video v2.5-turbo pro request that produced `video`.
private func falOKBody(request: String, video: String) -> String {
    #"{"request_id":"\#(request)","gateway_request_id":"\#(request)","status":"OK","payload":"#
        + #"{"video":{"url":"\#(video)","content_type":"video/mp4","file_name":"output.mp4","file_size":3149129}}}"#
}

@Suite struct ProviderEndToEndTests {
    /// The four Freepik Kling image-to-video endpoints of the seeds; kling-v2's status enum has no CREATED.
    static let endpoints: [(name: String, sendsCreated: Bool)] = [
        ("kling-v2-5-pro", true), ("kling-v2", false), ("kling-elements-pro", true), ("kling-v2-1-std", true),
    ]

    @Test func freepikCallbacksOfTheFourKlingEndpointsEndAsTheirTasks() throws {
        let hook = try SignedDaemon()
        struct Expected {
            var task: String
            var statuses: [String]
            var url: String?
            var ids: [String]
            var bodies: [String]
        }
        var expected: [Expected] = []
        var plan: [[String: Any]] = []
        for endpoint in Self.endpoints {
            for wrapped in [false, true] {
                let task = uuid()
                let url = "https://cdn.freepik.example/\(endpoint.name)/\(task)/video.mp4?exp=1767225600&sig=a%2Fb"
                let statuses = (endpoint.sendsCreated ? ["CREATED"] : []) + ["IN_PROGRESS", "COMPLETED"]
                var item = Expected(task: task, statuses: [], url: url, ids: [], bodies: [])
                for status in statuses {
                    let body = freepikBody(
                        task: task, status: status, generated: status == "COMPLETED" ? [url] : [], wrapped: wrapped)
                    let id = messageID()
                    plan.append(
                        freepik(
                            "\(endpoint.name) \(wrapped ? "wrapped" : "bare") \(status)", body: body, id: id,
                            secret: hook.whsec))
                    item.statuses.append(status.lowercased())
                    item.ids.append(id)
                    item.bodies.append(body)
                }
                expected.append(item)
            }
        }
        // PHP's json_encode writes "\/" (Freepik's PHP sample is the one that base64-decodes the secret), and
        // GET-status answers list `generated` first; unknown fields are ignored.
        let escaped = uuid()
        let escapedURL = "https://cdn.freepik.example/kling-v2-1-std/\(escaped).mp4"
        let escapedBody =
            #"{"data":{"generated":["\#(escapedURL.replacingOccurrences(of: "/", with: "\\/"))"],"#
            + #""task_id":"\#(escaped)","status":"COMPLETED","has_nsfw":[false]}}"#
        let escapedID = messageID()
        plan.append(freepik("escaped slashes", body: escapedBody, id: escapedID, secret: hook.whsec))
        expected.append(
            Expected(task: escaped, statuses: ["completed"], url: escapedURL, ids: [escapedID], bodies: [escapedBody]))
        // A task that fails.
        let failed = uuid()
        let failedBody = freepikBody(task: failed, status: "FAILED")
        let failedID = messageID()
        plan.append(freepik("failed", body: failedBody, id: failedID, secret: hook.whsec))
        expected.append(Expected(task: failed, statuses: ["failed"], url: nil, ids: [failedID], bodies: [failedBody]))

        let answers = try hook.sendFreepik(plan)
        for delivery in plan {
            let answer = try #require(answers[delivery["name"] as! String])
            #expect(answer.status == 200, "\(answer)")
            #expect(answer.json["recorded"] as? Bool == true, "\(answer)")
            #expect(!answer.isDuplicate, "\(answer)")
        }

        let journal = try hook.stopAndReadJournal()
        #expect(journal.allSatisfy { $0.kind == "delivery" }, "nothing was unparsed: \(journal.map(\.fields))")
        #expect(journal.count == plan.count)
        for item in expected {
            let lines = journal.filter { $0.taskID == item.task }
            #expect(lines.map(\.status) == item.statuses, "task \(item.task)")
            #expect(lines.map(\.deliveryID) == item.ids, "task \(item.task)")
            #expect(lines.map(\.body) == item.bodies, "the raw bodies are journaled byte for byte")
            #expect(lines.allSatisfy { $0.fields["provider"] as? String == "freepik" })
            #expect(lines.allSatisfy { $0.fields["route"] as? String == "/hooks/freepik" })
            let last = try #require(lines.last, "task \(item.task) is not in the journal")
            #expect(last.results == (item.url.map { [$0] } ?? []), "task \(item.task) results: \(last.fields)")
            #expect(last.error == nil, "task \(item.task): \(last.fields)")
            for line in lines.dropLast() { #expect(line.results == [], "no result before COMPLETED: \(line.fields)") }
        }
    }

    @Test func falKlingOutputAndErrorEndAsTheirRequests() throws {
        let hook = try SignedDaemon()
        let ok = uuid()
        let video = "https://v3.fal.media/files/kangaroo/\(hex(random(8)))_output.mp4"
        let error = uuid()
        let errorBody =
            #"{"request_id":"\#(error)","gateway_request_id":"\#(error)","status":"ERROR","#
            + #""error":"Invalid status code: 422","payload":{"detail":[{"loc":["body","image_url"],"#
            + #""msg":"field required","type":"value_error.missing"}]}}"#
        let unserializable = uuid()
        let unserializableBody =
            #"{"request_id":"\#(unserializable)","gateway_request_id":"\#(unserializable)","status":"OK","#
            + #""payload":null,"payload_error":"Response payload is not JSON serializable. Either return a JSON "#
            + #"serializable object or use the queue endpoint to retrieve the response."}"#
        let plan = [
            fal("ok", body: falOKBody(request: ok, video: video), requestID: ok),
            fal("error", body: errorBody, requestID: error),
            fal("payload_error", body: unserializableBody, requestID: unserializable),
        ]
        let answers = try hook.sendFal(plan)
        for (name, task) in [("ok", ok), ("error", error), ("payload_error", unserializable)] {
            let answer = try #require(answers[name])
            #expect(answer.status == 200, "\(answer)")
            #expect(answer.tasks == [task], "\(answer)")
        }

        let journal = try hook.stopAndReadJournal()
        #expect(journal.count == 3, "\(journal.map(\.fields))")
        #expect(journal.allSatisfy { $0.kind == "delivery" && $0.fields["provider"] as? String == "fal" })
        #expect(journal.allSatisfy { $0.deliveryID == nil }, "fal sends no delivery id")
        let completed = try #require(journal.first { $0.taskID == ok })
        #expect(completed.status == "completed")
        #expect(completed.results == [video], "\(completed.fields)")
        #expect(completed.body == falOKBody(request: ok, video: video))
        let failed = try #require(journal.first { $0.taskID == error })
        #expect(failed.status == "failed")
        #expect(failed.results == [], "\(failed.fields)")
        #expect(failed.error?.contains("Invalid status code: 422") == true, "\(failed.fields)")
        let noPayload = try #require(journal.first { $0.taskID == unserializable })
        #expect(noPayload.status == "completed", "payload_error is a success whose result must be fetched")
        #expect(noPayload.results == [], "\(noPayload.fields)")
    }

    @Test func forgedOrStaleFreepikCallbacksAre401AndNotJournaled() throws {
        let hook = try SignedDaemon()
        let accepted = uuid()
        let acceptedID = messageID()
        let acceptedBody = freepikBody(task: accepted, status: "IN_PROGRESS")
        var plan = [freepik("accepted", body: acceptedBody, id: acceptedID, secret: hook.whsec)]
        // Just inside the ±300 s window: accepted.
        let old = uuid()
        let early = uuid()
        plan.append(
            freepik("240 s old", body: freepikBody(task: old, status: "IN_PROGRESS"), secret: hook.whsec, skew: -240))
        plan.append(
            freepik("240 s ahead", body: freepikBody(task: early, status: "IN_PROGRESS"), secret: hook.whsec, skew: 240)
        )

        var rejected: [(name: String, task: String, id: String, reason: String?)] = []
        func forged(_ name: String, reason: String? = nil, make: (String, String) -> [String: Any]) {
            let task = uuid()
            let id = messageID()
            rejected.append((name, task, id, reason))
            plan.append(make(task, id))
        }
        forged("tampered body") { task, id in
            let body = freepikBody(task: task, status: "COMPLETED", generated: ["https://cdn.freepik.example/a.mp4"])
            return freepik(
                "tampered body", body: body, id: id, secret: hook.whsec,
                send: ["body": body.replacingOccurrences(of: "a.mp4", with: "b.mp4")])
        }
        forged("tampered webhook-id") { task, id in
            freepik(
                "tampered webhook-id", body: freepikBody(task: task, status: "IN_PROGRESS"), id: id,
                secret: hook.whsec, send: ["headers": ["webhook-id": messageID()]])
        }
        forged("tampered webhook-timestamp") { task, id in
            freepik(
                "tampered webhook-timestamp", body: freepikBody(task: task, status: "IN_PROGRESS"), id: id,
                secret: hook.whsec,
                send: ["headers": ["webhook-timestamp": "\(Int(Date().timeIntervalSince1970) - 60)"]])
        }
        forged("stale", reason: "webhook-timestamp") { task, id in
            freepik(
                "stale", body: freepikBody(task: task, status: "IN_PROGRESS"), id: id, secret: hook.whsec, skew: -400)
        }
        forged("future", reason: "webhook-timestamp") { task, id in
            freepik(
                "future", body: freepikBody(task: task, status: "IN_PROGRESS"), id: id, secret: hook.whsec, skew: 400)
        }
        forged("wrong key") { task, id in
            freepik(
                "wrong key", body: freepikBody(task: task, status: "IN_PROGRESS"), id: id,
                secret: "whsec_" + Data(random(24)).base64EncodedString())
        }
        forged("wrong raw key") { task, id in
            freepik(
                "wrong raw key", body: freepikBody(task: task, status: "IN_PROGRESS"), id: id,
                secret: hook.whsec + "x", keyMode: "raw")
        }
        // A forged "update" riding on an accepted delivery's id: verified before dedupe, so 401, not "duplicate".
        let forgedUpdate = freepikBody(task: accepted, status: "COMPLETED", generated: ["https://evil.example/x.mp4"])
        plan.append(
            freepik(
                "forged resend of an accepted id", body: acceptedBody, id: acceptedID, secret: hook.whsec,
                send: ["body": forgedUpdate]))

        let answers = try hook.sendFreepik(plan)
        for name in ["accepted", "240 s old", "240 s ahead"] {
            #expect(answers[name]?.status == 200, "\(answers[name].map(\.description) ?? name)")
        }
        for forged in rejected + [("forged resend of an accepted id", accepted, acceptedID, nil)] {
            let answer = try #require(answers[forged.name])
            #expect(answer.status == 401, "\(answer)")
            #expect(!answer.body.isEmpty, "a 401 says why: \(answer)")
            if let reason = forged.reason { #expect(answer.body.contains(reason), "\(answer)") }
        }

        let journal = try hook.stopAndReadJournal()
        #expect(journal.map(\.taskID) == [accepted, old, early], "\(journal.map(\.fields))")
        #expect(journal.map(\.status) == ["in_progress", "in_progress", "in_progress"])
        for forged in rejected {
            #expect(!journal.contains { $0.taskID == forged.task || $0.deliveryID == forged.id }, "\(forged.name)")
        }
        #expect(!journal.contains { $0.body?.contains("evil.example") == true })
    }

    @Test func forgedOrStaleFalCallbacksAre401AndNotJournaled() throws {
        let hook = try SignedDaemon()
        let accepted = uuid()
        let old = uuid()
        let early = uuid()
        var plan = [
            fal(
                "accepted", body: falOKBody(request: accepted, video: "https://v3.fal.media/files/a.mp4"),
                requestID: accepted),
            fal(
                "240 s old", body: falOKBody(request: old, video: "https://v3.fal.media/files/o.mp4"), requestID: old,
                skew: -240),
            fal(
                "240 s ahead", body: falOKBody(request: early, video: "https://v3.fal.media/files/e.mp4"),
                requestID: early, skew: 240),
        ]
        var rejected: [(name: String, task: String, reason: String?)] = []
        func forged(_ name: String, reason: String? = nil, _ make: (String, String) -> [String: Any]) {
            let task = uuid()
            rejected.append((name, task, reason))
            plan.append(make(task, falOKBody(request: task, video: "https://v3.fal.media/files/\(task).mp4")))
        }
        forged("tampered body") { task, body in
            fal(
                "tampered body", body: body, requestID: task,
                send: ["body": body.replacingOccurrences(of: ".mp4", with: ".mov")])
        }
        forged("tampered request id") { task, body in
            fal(
                "tampered request id", body: body, requestID: task,
                send: ["headers": ["X-Fal-Webhook-Request-Id": uuid()]])
        }
        forged("tampered user id") { task, body in
            fal(
                "tampered user id", body: body, requestID: task,
                send: ["headers": ["X-Fal-Webhook-User-Id": "someone-else"]])
        }
        forged("stale", reason: "x-fal-webhook-timestamp") { task, body in
            fal("stale", body: body, requestID: task, skew: -400)
        }
        forged("future", reason: "x-fal-webhook-timestamp") { task, body in
            fal("future", body: body, requestID: task, skew: 400)
        }
        forged("wrong key") { task, body in fal("wrong key", body: body, requestID: task, wrongKey: true) }

        let answers = try hook.sendFal(plan)
        for name in ["accepted", "240 s old", "240 s ahead"] {
            #expect(answers[name]?.status == 200, "\(answers[name].map(\.description) ?? name)")
        }
        for forged in rejected {
            let answer = try #require(answers[forged.name])
            #expect(answer.status == 401, "\(answer)")
            #expect(!answer.body.isEmpty, "a 401 says why: \(answer)")
            if let reason = forged.reason { #expect(answer.body.lowercased().contains(reason), "\(answer)") }
        }

        let journal = try hook.stopAndReadJournal()
        #expect(journal.map(\.taskID) == [accepted, old, early], "\(journal.map(\.fields))")
        for forged in rejected { #expect(!journal.contains { $0.taskID == forged.task }, "\(forged.name)") }
    }

    @Test func aRetriedDeliveryIsAnswered200AndJournaledOnce() throws {
        let hook = try SignedDaemon()
        let task = uuid()
        let url = "https://cdn.freepik.example/kling-v2-5-pro/\(task).mp4"
        let running = freepikBody(task: task, status: "IN_PROGRESS")
        let done = freepikBody(task: task, status: "COMPLETED", generated: [url])
        let runningID = messageID()
        let doneID = messageID()
        // Each retry is signed again with a new timestamp, as Standard Webhooks senders do; the id stays.
        let answers = try hook.sendFreepik([
            freepik("in progress", body: running, id: runningID, secret: hook.whsec),
            freepik("in progress, retried", body: running, id: runningID, secret: hook.whsec, skew: 1),
            freepik("completed", body: done, id: doneID, secret: hook.whsec),
            freepik("completed, retried", body: done, id: doneID, secret: hook.whsec, skew: 2),
            freepik("in progress, retried late", body: running, id: runningID, secret: hook.whsec, skew: 3),
        ])
        for name in ["in progress", "completed"] {
            let answer = try #require(answers[name])
            #expect(answer.status == 200 && !answer.isDuplicate && answer.tasks == [task], "\(answer)")
        }
        for name in ["in progress, retried", "completed, retried", "in progress, retried late"] {
            let answer = try #require(answers[name])
            #expect(answer.status == 200, "\(answer)")
            #expect(answer.isDuplicate, "\(answer)")
        }

        // fal sends no delivery id: a redelivered callback is the same request and status.
        let request = uuid()
        let video = "https://v3.fal.media/files/\(request).mp4"
        let falAnswers = try hook.sendFal([
            fal("ok", body: falOKBody(request: request, video: video), requestID: request),
            fal("ok, redelivered", body: falOKBody(request: request, video: video), requestID: request, skew: 1),
        ])
        #expect(falAnswers["ok"]?.status == 200 && falAnswers["ok"]?.isDuplicate == false, "\(falAnswers)")
        #expect(falAnswers["ok, redelivered"]?.status == 200, "\(falAnswers)")
        #expect(falAnswers["ok, redelivered"]?.isDuplicate == true, "\(falAnswers)")

        let journal = try hook.stopAndReadJournal()
        let freepikLines = journal.filter { $0.taskID == task }
        #expect(freepikLines.map(\.deliveryID) == [runningID, doneID], "\(journal.map(\.fields))")
        #expect(freepikLines.map(\.status) == ["in_progress", "completed"])
        #expect(freepikLines.last?.results == [url], "\(freepikLines.last?.fields ?? [:])")
        let falLines = journal.filter { $0.taskID == request }
        #expect(falLines.map(\.status) == ["completed"], "\(journal.map(\.fields))")
        #expect(journal.count == 3)
    }

    @Test func keyModeAutoAcceptsARawFreepikSecretAndTheOtherModesAreStrict() throws {
        let hook = try SignedDaemon()
        // (route, its secret, how the client derives the HMAC key, accepted?). "raw" signs with the secret's
        // UTF-8 bytes as Freepik's Python/JS/Java samples do; "standard" base64-decodes after whsec_.
        let cases: [(route: String, secret: String, signing: String, accepted: Bool)] = [
            ("/hooks/freepik-raw", hook.rawSecret, "raw", true),  // key-mode auto, secret not base64
            ("/hooks/freepik-raw-b64", hook.base64LookingSecret, "raw", true),  // auto, secret happens to be base64
            ("/hooks/freepik", hook.whsec, "raw", true),  // auto, whsec_ secret used raw
            ("/hooks/freepik", hook.whsec, "standard", true),  // auto, whsec_ secret decoded
            ("/hooks/freepik-standard", hook.whsec, "standard", true),
            ("/hooks/freepik-rawmode", hook.whsec, "raw", true),
            ("/hooks/freepik-standard", hook.whsec, "raw", false),
            ("/hooks/freepik-rawmode", hook.whsec, "standard", false),
        ]
        let tasks = cases.map { _ in uuid() }
        let plan = cases.indices.map { index in
            freepik(
                "\(cases[index].route) signed \(cases[index].signing)",
                body: freepikBody(task: tasks[index], status: "IN_PROGRESS"), path: cases[index].route,
                secret: cases[index].secret, keyMode: cases[index].signing)
        }
        let answers = try hook.sendFreepik(plan)
        for (index, delivery) in plan.enumerated() {
            let answer = try #require(answers[delivery["name"] as! String])
            #expect(answer.status == (cases[index].accepted ? 200 : 401), "\(answer)")
        }

        let journal = try hook.stopAndReadJournal()
        let accepted = cases.indices.filter { cases[$0].accepted }
        #expect(journal.map(\.taskID) == accepted.map { tasks[$0] }, "\(journal.map(\.fields))")
        #expect(journal.map { $0.fields["route"] as? String } == accepted.map { cases[$0].route })
    }
}
