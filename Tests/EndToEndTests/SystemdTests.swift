import Foundation
import Glibc
import TaskhookPosix
import TestSupport
import Testing

/// The daemon under a service manager, without one: a fake NOTIFY_SOCKET records what it says,
/// and systemd-socket-activate passes it listening sockets by name.
@Suite struct SystemdTests {
    let directory = DaemonProcess.temporaryDirectory()

    func config() throws -> String { try unsignedFreepikConfig(directory) }

    func environment(_ extra: [String: String]) -> [String: String] {
        ProcessInfo.processInfo.environment.merging(extra) { $1 }
    }

    @Test func theDaemonSaysReadyStatusReloadingAndStoppingInOrder() throws {
        let notify = try NotifySocket(directory: directory)
        let path = try config()
        let daemon = try DaemonProcess(
            arguments: ["--config", path], environment: environment(["NOTIFY_SOCKET": notify.path]))
        let ready = try #require(notify.until("READY=1"))
        #expect(ready.last?.contains("STATUS=tasks 0, waiters 0, deliveries 0") == true)
        // STATUS about once a second, no more.
        let started = Instant.now()
        let status = try #require(notify.until("STATUS=", timeout: .seconds(3)))
        #expect(Instant.now() - started > .milliseconds(500))
        #expect(status.count == 1)

        daemon.signal(SIGHUP)
        let reload = try #require(notify.until("READY=1"))
        let reloading = try #require(reload.first { $0.contains("RELOADING=1") })
        #expect(reloading.contains("MONOTONIC_USEC="))
        #expect(reload.firstIndex { $0.contains("RELOADING=1") }! < reload.count - 1)
        #expect(daemon.waitForLog("reloaded"))

        daemon.signal(SIGTERM)
        #expect(notify.until("STOPPING=1") != nil)
        #expect(daemon.waitForExit() == 0)
    }

    @Test func watchdogPingsComeFromTheLoopAtHalfTheInterval() throws {
        let notify = try NotifySocket(directory: directory)
        let daemon = try DaemonProcess(
            arguments: ["--config", try config()],
            environment: environment(["NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "400000"]))
        _ = try #require(notify.until("READY=1"))
        var pings: [Instant] = []
        let deadline = Instant.now() + .milliseconds(1300)
        while Instant.now() < deadline {
            if let message = notify.next(timeout: deadline - Instant.now()), message.contains("WATCHDOG=1") {
                pings.append(Instant.now())
            }
        }
        #expect(pings.count >= 4 && pings.count <= 8, "\(pings.count) pings in 1.3 s")
        _ = daemon
    }

    @Test func aBadConfigurationOnReloadIsRejectedAndTheRunningOneKept() throws {
        let path = try config()
        let daemon = try DaemonProcess(arguments: ["--config", path])
        try "routes: [oops".write(toFile: path, atomically: true, encoding: .utf8)
        daemon.signal(SIGHUP)
        #expect(daemon.waitForLog("reload rejected; the running configuration stays"))
        let client = try TestClient(daemon.address)
        let body = #"{"task_id":"r-1","status":"COMPLETED","generated":[]}"#
        try client.send("POST /hooks/freepik HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
        #expect(try client.readResponse().status == 200)
        // A good one with a new route is taken without a restart.
        try "routes:\n  - path: /hooks/kling\n    provider: kling\n    allow-unsigned: true\n"
            .write(toFile: path, atomically: true, encoding: .utf8)
        daemon.signal(SIGHUP)
        #expect(daemon.waitForLog("reloaded routes=1"))
        let kling = try TestClient(daemon.address)
        try kling.send("POST /hooks/freepik HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")
        #expect(try kling.readResponse().status == 404)
    }

    @Test func aCallbackWhoseRouteAReloadRemovesWhileItIsReadIsNotAnswered200() throws {
        let path = try config()
        let daemon = try DaemonProcess(arguments: ["--config", path])
        // Expect: 100-continue, so the daemon's "100 Continue" proves it read the head (and found
        // the route) before the reload: otherwise SIGHUP and the head may be handled either way round.
        let callback = freepikCallback(task: "gone-1", deliveryID: "msg_gone_1").replacingOccurrences(
            of: "Host: hooks.example\r\n", with: "Host: hooks.example\r\nExpect: 100-continue\r\n")
        let headEnd = callback.range(of: "\r\n\r\n")!.upperBound
        let head = String(callback[..<headEnd])
        let body = String(callback[headEnd...])
        let client = try TestClient(daemon.address)
        try client.send(head)
        #expect(try client.readResponse().status == 100)
        let split = body.utf8.count - 10  // most of the body
        try client.send(Array(body.utf8.prefix(split)))
        try "routes:\n  - path: /hooks/kling\n    provider: kling\n    allow-unsigned: true\n"
            .write(toFile: path, atomically: true, encoding: .utf8)
        daemon.signal(SIGHUP)
        #expect(daemon.waitForLog("reloaded routes=1"))
        try client.send(Array(body.utf8.dropFirst(split)))
        let answer = try client.readResponse()
        // Not 200: nothing was stored, and the provider must send it again.
        #expect(answer.status == 503)
        #expect(answer.header("Retry-After") == "5")
        #expect(try deliverFreepik(to: daemon, task: "gone-2", status: "COMPLETED", deliveryID: "msg_gone_2") == 404)
    }

    @Test func socketsPassedBySystemdAreServedByNameTheAdminOneToo() throws {
        // Free ports: bind, read, close (systemd-socket-activate binds them again at once).
        func freePort() throws -> SocketAddress {
            let probe = try ListeningSocket(binding: .ipv4(address: "127.0.0.1", port: 0))
            defer { probe.close() }
            return probe.address
        }
        let (address, admin) = (try freePort(), try freePort())
        let control = directory + "/passed-control.sock"
        // No admin address in the configuration: the shipped unit has no network of its own,
        // so the admin listener is the socket passed as "admin".
        let path = try unsignedFreepikConfig(
            directory, extra: "control:\n  admin: {token: {value: \"passed-admin-token\"}}")
        let activator = try ChildProcess(
            "/usr/bin/systemd-socket-activate",
            [
                "-l", address.description, "-l", control, "-l", admin.description, "--fdname=http:control:admin",
                DaemonProcess.binary.path, "--config", path, "--journal-dir", directory + "/journal",
            ])
        defer { activator.stop() }
        // systemd-socket-activate waits for the first connection, then starts the daemon.
        var status: Int?
        let deadline = Instant.now() + .seconds(10)
        while status == nil, Instant.now() < deadline {
            status = try? healthCheck(address)
            if status == nil { usleep(50_000) }
        }
        #expect(status == 200, "\(activator.errorOutput)")
        let client = try TestClient(.unix(path: control))
        try client.send("GET /v1/tasks HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try client.readResponse().status == 200)
        let remote = try TestClient(admin)
        try remote.send("GET /v1/tasks HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer passed-admin-token\r\n\r\n")
        #expect(try remote.readResponse().status == 200, "\(activator.errorOutput)")
    }
}
