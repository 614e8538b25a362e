import Foundation
import Glibc
import TaskhookPosix
import TestSupport
import Testing

/// Issue 14, items 6 and 7: the daemon's Unix socket is never taken from a running daemon and
/// is reachable by whom its mode says; the admin listener's token follows its secret on reload;
/// a HEAD of the event stream gets no stream.
@Suite struct ListenerSafetyTests {
    let directory = DaemonProcess.temporaryDirectory()

    func daemon(extra: String = "", arguments: [String] = []) throws -> DaemonProcess {
        try DaemonProcess(arguments: ["--config", try unsignedFreepikConfig(directory, extra: extra)] + arguments)
    }

    @Test func aSecondDaemonOnTheSameControlSocketIsRefusedAndTheFirstKeepsIt() throws {
        let first = try daemon()
        do {
            let second = try DaemonProcess(arguments: [
                "--control-socket", first.controlSocket, "--journal-dir", directory + "/second-journal",
            ])
            Issue.record("the second daemon started and took the socket: \(second.log)")
        } catch {
            #expect("\(error)".contains("another process is listening"), "\(error)")
        }
        let client = try TestClient(.unix(path: first.controlSocket))
        try client.send("GET /v1/tasks HTTP/1.1\r\nHost: localhost\r\n\r\n")
        #expect(try client.readResponse().status == 200)
    }

    @Test func theControlSocketsNewDirectoryLetsInTheGroupItsModeLetsIn() throws {
        let socket = directory + "/run/taskhook/control.sock"
        let daemon = try daemon(arguments: ["--control-socket", socket])
        func mode(_ path: String) -> Int {
            ((try? FileManager.default.attributesOfItem(atPath: path)[.posixPermissions]) as? Int) ?? -1
        }
        #expect(mode(directory + "/run/taskhook") == 0o750)
        #expect(mode(socket) == 0o660)
        withExtendedLifetime(daemon) {}
    }

    @Test func aReloadMakesTheAdminListenerWantTheChangedToken() throws {
        let tokenFile = directory + "/admin-token"
        try "first-admin-token".write(toFile: tokenFile, atomically: true, encoding: .utf8)
        let daemon = try daemon(extra: "control:\n  admin: {listen: \"127.0.0.1:0\", token: {file: \(tokenFile)}}")
        #expect(daemon.waitForLog("listener=admin"))
        let line = daemon.log.split(separator: "\n").first { $0.contains("listener=admin") }!
        let address = try SocketAddress(
            parsing: String(line.split(separator: " ").first { $0.hasPrefix("address=") }!.dropFirst(8)))
        func status(token: String) throws -> Int {
            let client = try TestClient(address)
            try client.send("GET /v1/tasks HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(token)\r\n\r\n")
            return try client.readResponse().status
        }
        #expect(try status(token: "first-admin-token") == 200)
        try "rotated-admin-token".write(toFile: tokenFile, atomically: true, encoding: .utf8)
        daemon.signal(SIGHUP)
        #expect(daemon.waitForLog("reloaded"))
        #expect(try status(token: "first-admin-token") == 401)
        #expect(try status(token: "rotated-admin-token") == 200)
    }

    @Test func headOfTheEventStreamGetsItsHeadAndTheConnectionEnds() throws {
        let daemon = try daemon()
        let client = try TestClient(.unix(path: daemon.controlSocket))
        try client.send("HEAD /v1/events HTTP/1.1\r\nHost: localhost\r\n\r\n")
        let (text, end) = client.readToEnd(timeout: .seconds(3))
        #expect(text.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(text.hasSuffix("\r\n\r\n"), "a body followed the head: \(text.debugDescription)")
        #expect(end == .orderly)
    }
}
