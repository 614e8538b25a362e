import Crypto
import Foundation
import Glibc
import TaskhookPosix
import TestSupport
import Testing

/// Issue 14: callbacks keep their share of the daemon while others hold connections open, wait
/// in numbers, or trickle bytes. Bounded (seconds each, 127.0.0.1 only) and run one at a time,
/// so two of them never add up on the machine.
@Suite(.serialized) struct HostileLoadEndToEndTests {
    let directory = DaemonProcess.temporaryDirectory()
    static let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

    /// A daemon with one signed Freepik route (and `extra` configuration).
    func daemon(extra: String = "") throws -> DaemonProcess {
        let path = directory + "/taskhook.yaml"
        try """
        journal: {directory: \(directory)/journal, sync: always}
        \(extra)
        routes:
          - path: /hooks/freepik
            provider: freepik
            secret: {value: "\(Self.secret)"}
        """.write(toFile: path, atomically: true, encoding: .utf8)
        return try DaemonProcess(arguments: ["--config", path])
    }

    /// A callback signed as Freepik signs it (Standard Webhooks: HMAC-SHA256 over
    /// `id.timestamp.body`), posted on a connection of its own. Returns the answer's status and
    /// how long it took from connecting to the whole answer: what a provider waits.
    func signedCallback(_ daemon: DaemonProcess, task: String) throws -> (status: Int, took: Duration) {
        let body = #"{"task_id":"\#(task)","status":"COMPLETED","generated":["https://cdn.example/\#(task).mp4"]}"#
        let id = "msg_\(task)"
        let timestamp = String(Int(Date().timeIntervalSince1970))
        let key = SymmetricKey(data: Data(base64Encoded: String(Self.secret.dropFirst("whsec_".count)))!)
        let mac = HMAC<SHA256>.authenticationCode(for: Data("\(id).\(timestamp).\(body)".utf8), using: key)
        let request =
            "POST /hooks/freepik HTTP/1.1\r\nHost: hooks.example\r\nContent-Type: application/json\r\n"
            + "webhook-id: \(id)\r\nwebhook-timestamp: \(timestamp)\r\n"
            + "webhook-signature: v1,\(Data(mac).base64EncodedString())\r\n"
            + "Content-Length: \(body.utf8.count)\r\n\r\n\(body)"
        let started = Instant.now()
        let client = try TestClient(daemon.address)
        try client.send(request)
        let answer = try client.readResponse(timeout: .seconds(10))
        return (answer.status, Instant.now() - started)
    }

    /// Enough descriptors for this process's side of every connection.
    func descriptors(atLeast needed: Int) throws {
        let limit = FileSystem.raiseDescriptorLimit()
        guard limit >= needed else {
            throw TestClientError("this test needs \(needed) descriptors; RLIMIT_NOFILE allows \(limit)")
        }
    }

    /// The issue's report: `max-connections: 20`, 25 jobs waiting, then a signed callback was
    /// refused. Waiters have the control socket's own budget now.
    @Test func waitersBeyondThePublicBudgetDoNotShutOutCallbacks() throws {
        let daemon = try daemon(extra: "limits: {max-connections: 20}")
        var waiters: [TestClient] = []
        for _ in 0..<25 {
            let waiter = try TestClient(.unix(path: daemon.controlSocket))
            try waiter.send("GET /v1/tasks/few-1?wait=30 HTTP/1.1\r\nHost: localhost\r\n\r\n")
            waiters.append(waiter)
        }
        usleep(300_000)
        #expect(try signedCallback(daemon, task: "few-1").status == 200)
        for waiter in [waiters.first!, waiters.last!] {
            #expect(try waiter.readResponse(timeout: .seconds(5)).status == 200)
        }
    }

    @Test func fiveThousandIdleConnectionsAndFiveThousandWaitersLeaveACallbackItsAnswerWithinASecond() throws {
        try descriptors(atLeast: 10_500)
        let daemon = try daemon()
        // 5,000 keep-alive connections, each idle after one answered request: more than the
        // public listener's 4,096, so the oldest idle make room for newer ones.
        var idle: [TestClient] = []
        idle.reserveCapacity(5000)
        for _ in 0..<5000 {
            let client = try TestClient(daemon.address)
            try client.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            idle.append(client)
        }
        // 5,000 jobs waiting on the control socket for one task.
        var waiters: [TestClient] = []
        waiters.reserveCapacity(5000)
        for _ in 0..<5000 {
            let waiter = try TestClient(.unix(path: daemon.controlSocket))
            try waiter.send("GET /v1/tasks/load-1?wait=60 HTTP/1.1\r\nHost: localhost\r\n\r\n")
            waiters.append(waiter)
        }
        // Every waiter is registered once the daemon has read them all.
        let deadline = Instant.now() + .seconds(20)
        var registered = 0
        while registered < 5000, Instant.now() < deadline {
            let metrics = try TestClient(.unix(path: daemon.controlSocket))
            try metrics.send("GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n")
            let text = try metrics.readResponse().text
            registered =
                text.split(separator: "\n").first { $0.hasPrefix("taskhook_waiters ") }
                .flatMap { Int(Double($0.split(separator: " ")[1]) ?? 0) } ?? 0
            if registered < 5000 { usleep(100_000) }
        }
        #expect(registered == 5000, "waiters registered: \(registered)")
        let (status, took) = try signedCallback(daemon, task: "load-1")
        #expect(status == 200)
        #expect(took < .seconds(1), "the callback took \(took)")
        // The durable callback wakes them all.
        for waiter in [waiters[0], waiters[2500], waiters[4999]] {
            let woken = try waiter.readResponse(timeout: .seconds(10))
            #expect(woken.status == 200)
            #expect(woken.text.contains("\"completed\""))
        }
        withExtendedLifetime(idle) {}
    }

    /// A Prometheus sample from the daemon's /metrics, by its full name (labels included).
    func metric(_ daemon: DaemonProcess, _ name: String) throws -> Int {
        let client = try TestClient(.unix(path: daemon.controlSocket))
        try client.send("GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n")
        let line = try client.readResponse().text.split(separator: "\n").first { $0.hasPrefix(name + " ") }
        return line.flatMap { Int(Double($0.split(separator: " ").last ?? "") ?? -1) } ?? -1
    }

    /// slowhttptest (Debian's package) against the daemon at 1,000 connections; once it holds
    /// them, a signed callback must be answered 200 within a second.
    func underSlowHTTPTest(_ mode: [String]) throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/slowhttptest") else {
            throw TestClientError("slowhttptest is missing: `make test` installs Debian's slowhttptest package")
        }
        try descriptors(atLeast: 2_000)
        let daemon = try daemon()
        let attack = try ChildProcess(
            "/usr/bin/slowhttptest",
            mode + ["-c", "1000", "-r", "1000", "-l", "6", "-p", "3", "-u", "http://\(daemon.address)/healthz"])
        defer { attack.stop() }
        // Until it holds its connections (a few hundred at least: it opens 1,000 a second).
        let deadline = Instant.now() + .seconds(4)
        var held = 0
        while held < 900, Instant.now() < deadline {
            usleep(200_000)
            held = try metric(daemon, #"taskhook_listener_connections{listener="http"}"#)
        }
        #expect(held >= 900, "slowhttptest held \(held) connections: \(attack.output)")
        let (status, took) = try signedCallback(daemon, task: "slow-\(mode[0])")
        #expect(status == 200)
        #expect(took < .seconds(1), "the callback took \(took)")
        // Still under way (it would go on for its -l 6 s): it had its chance; `defer` ends it.
        #expect(attack.isRunning, "slowhttptest ended early: \(attack.output)")
    }

    @Test func slowlorisWithAThousandConnectionsLeavesACallbackItsAnswer() throws {
        // Headers trickled a field a second, never finished.
        try underSlowHTTPTest(["-H", "-i", "1", "-x", "24"])
    }

    @Test func slowReadersWithAThousandConnectionsLeaveACallbackItsAnswer() throws {
        // Each asks for its answer 10 times over (the most it allows) and reads it 32 bytes a second through a tiny
        // receive window.
        try underSlowHTTPTest(["-X", "-k", "10", "-n", "1", "-w", "16", "-y", "64", "-z", "32"])
    }

    /// The issue's report: a Content-Length + Transfer-Encoding request followed by 100 KB got its
    /// 400, then ECONNRESET (which on a real network can destroy the 400 before it is read).
    @Test func aClientStillSendingAfterAnErrorAnswerSeesItThenAnOrderlyEnd() throws {
        let daemon = try daemon()
        let client = try TestClient(daemon.address)
        let head =
            "POST /hooks/freepik HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n"
            + "Transfer-Encoding: chunked\r\n\r\n"
        // In one go, as a client that does not wait for an early answer sends it.
        let sent = Result { try client.send(Array(head.utf8) + [UInt8](repeating: UInt8(ascii: "z"), count: 100_000)) }
        let (text, end) = client.readToEnd(timeout: .seconds(5))
        #expect(text.hasPrefix("HTTP/1.1 400 Bad Request\r\n"), "\(text)")
        #expect(end == .orderly)
        #expect((try? sent.get()) != nil, "the rest of the request could not be sent: \(sent)")
    }
}
