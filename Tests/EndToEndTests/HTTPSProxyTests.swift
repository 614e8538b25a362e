import Foundation
import Glibc
import TaskhookPosix
import TestSupport
import Testing

// README "Public HTTPS" for real: nginx (Debian's nginx-light) with the shipped server block,
// config/nginx/taskhook.conf, terminates TLS with a certificate from a CA made for this test, in
// front of taskhookd; PyPI `standardwebhooks` signs Freepik callbacks and Python's ssl module
// sends them over HTTPS trusting only that CA. nginx is a build dependency of `make test`, so
// the test is skipped only where it is not installed, and says so.

private let testDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
private let repository = testDirectory.deletingLastPathComponent().deletingLastPathComponent()
/// The first of these that is an executable file.
private func program(_ candidates: [String]) -> String? {
    candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
}
private let nginx = program(["/usr/sbin/nginx", "/usr/bin/nginx"])

/// nginx on 127.0.0.1 with the shipped server block, its upstream pointed at `upstream`.
private final class NginxProxy {
    private var process: ChildProcess?
    let port: UInt16
    let directory: String

    init(binary: String, directory: String, upstream: SocketAddress) throws {
        self.directory = directory
        port = try freePort()
        // The shipped block, changed only where a test must: its port, certificate and upstream.
        var site = try String(
            contentsOf: repository.appendingPathComponent("config/nginx/taskhook.conf"), encoding: .utf8)
        let edits = [
            ("    listen 443 ssl;\n", "    listen 127.0.0.1:\(port) ssl;\n"),
            ("    listen [::]:443 ssl;\n", ""),
            ("/etc/letsencrypt/live/hooks.example.com/fullchain.pem", directory + "/server.pem"),
            ("/etc/letsencrypt/live/hooks.example.com/privkey.pem", directory + "/server.key"),
            ("server 127.0.0.1:8080;", "server \(upstream);"),
        ]
        for (shipped, test) in edits {
            guard site.contains(shipped) else { throw TestClientError("config/nginx/taskhook.conf has no \(shipped)") }
            site = site.replacingOccurrences(of: shipped, with: test)
        }
        try site.write(toFile: directory + "/taskhook.conf", atomically: true, encoding: .utf8)
        // Everything nginx writes stays in the test's directory; workers run as the test's user.
        try """
        daemon off;
        worker_processes 1;
        pid \(directory)/nginx.pid;
        error_log \(directory)/error.log info;
        events { worker_connections 64; }
        http {
            access_log \(directory)/access.log;
            client_body_temp_path \(directory)/client_body;
            proxy_temp_path \(directory)/proxy;
            fastcgi_temp_path \(directory)/fastcgi;
            uwsgi_temp_path \(directory)/uwsgi;
            scgi_temp_path \(directory)/scgi;
            include \(directory)/taskhook.conf;
        }
        """.write(toFile: directory + "/nginx.conf", atomically: true, encoding: .utf8)
        if getuid() == 0 {
            // As root, nginx's workers would switch to nobody, which cannot enter this directory.
            try (try String(contentsOfFile: directory + "/nginx.conf", encoding: .utf8))
                .replacingOccurrences(of: "daemon off;\n", with: "daemon off;\nuser root;\n")
                .write(toFile: directory + "/nginx.conf", atomically: true, encoding: .utf8)
        }
        let arguments = ["-e", directory + "/error.log", "-p", directory, "-c", directory + "/nginx.conf"]
        let check = try ChildProcess.run(binary, arguments + ["-t"])
        guard check.status == 0 else { throw TestClientError("nginx -t rejected the configuration: \(check.error)") }
        let process = try ChildProcess(binary, arguments)
        self.process = process
        let deadline = Instant.now() + .seconds(10)
        while (try? StreamSocket.connect(to: .ipv4(address: "127.0.0.1", port: port))) == nil {
            guard process.isRunning, Instant.now() < deadline else {
                let log = (try? String(contentsOfFile: directory + "/error.log", encoding: .utf8)) ?? ""
                throw TestClientError("nginx did not start listening on \(port): \(log)")
            }
            usleep(20_000)
        }
    }

    /// Stops nginx and its workers (its process group).
    func stop() { process?.stop() }

    deinit { stop() }
}

/// A port no one listens on right now, for a program that must be told its port.
private func freePort() throws -> UInt16 {
    let listener = try ListeningSocket(binding: .ipv4(address: "127.0.0.1", port: 0))
    guard case .ipv4(_, let port) = listener.address else { throw TestClientError("not IPv4: \(listener.address)") }
    return port
}

@Suite(
    .serialized, .enabled(if: nginx != nil, "nginx is not installed (apt-get install nginx-light; `make test` does)"))
struct HTTPSProxyTests {
    @Test func signedCallbacksThroughNginxOverTLSAreRecordedAndForgedOrStaleOnesAreStill401() throws {
        let directory = DaemonProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let secret = "whsec_" + Data((0..<24).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
        try secret.write(toFile: directory + "/freepik.secret", atomically: true, encoding: .utf8)
        try """
        trusted-proxies: [127.0.0.1]
        routes:
          - path: /hooks/freepik
            provider: freepik
            secret: {file: \(directory)/freepik.secret}
        """.write(toFile: directory + "/taskhook.yaml", atomically: true, encoding: .utf8)
        let ca = try ChildProcess.run("python3", [testDirectory.path + "/clients/test_ca.py", directory])
        try #require(ca.status == 0, "test_ca.py: \(ca.error)")

        let journal = directory + "/journal"
        var daemon: DaemonProcess? = try DaemonProcess(
            arguments: ["--config", directory + "/taskhook.yaml", "--journal-dir", journal])
        let proxy = try NginxProxy(binary: try #require(nginx), directory: directory, upstream: daemon!.address)
        defer { proxy.stop() }

        let body = { (task: String) in
            #"{"data":{"task_id":"\#(task)","status":"COMPLETED","generated":["https://cdn.example.com/\#(task).mp4"]}}"#
        }
        let wrongSecret = "whsec_" + Data((0..<24).map { _ in UInt8(7) }).base64EncodedString()
        let plan: [[String: Any]] = [
            // A client's own X-Forwarded-For or Forwarded must not become the recorded peer: nginx drops them.
            [
                "name": "signed", "path": "/hooks/freepik", "secret": secret, "id": "msg_tls_1", "body": body("tls-1"),
                "send": ["headers": ["X-Forwarded-For": "198.51.100.1", "Forwarded": "for=198.51.100.2"]],
            ],
            [
                "name": "forged", "path": "/hooks/freepik", "secret": wrongSecret, "id": "msg_tls_2",
                "body": body("tls-2"),
            ],
            [
                "name": "stale", "path": "/hooks/freepik", "secret": secret, "id": "msg_tls_3", "body": body("tls-3"),
                "skew": -3600,
            ],
            // Not a webhook path: nginx answers it, taskhookd never sees it.
            ["name": "elsewhere", "path": "/healthz", "secret": secret, "id": "msg_tls_4", "body": body("tls-4")],
            // Over taskhookd's 1 MiB: nginx refuses it first.
            [
                "name": "too-big", "path": "/hooks/freepik", "secret": secret, "id": "msg_tls_5",
                "body": body(String(repeating: "x", count: 1_100_000)),
            ],
        ]
        let planPath = directory + "/plan.json"
        try JSONSerialization.data(withJSONObject: plan).write(to: URL(fileURLWithPath: planPath))
        var environment = ProcessInfo.processInfo.environment
        environment["TASKHOOK_CLIENT_CA"] = directory + "/ca.pem"
        environment["PYTHONDONTWRITEBYTECODE"] = "1"
        let sent = try ChildProcess.run(
            "python3", [testDirectory.path + "/clients/freepik_client.py", planPath, "127.0.0.1", "\(proxy.port)"],
            environment: environment)
        try #require(sent.status == 0, "freepik_client.py over TLS: \(sent.error)")
        var status: [String: Int] = [:]
        for line in sent.output.split(separator: "\n") {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            status[object["name"] as! String] = object["status"] as? Int
        }
        #expect(status["signed"] == 200)
        #expect(status["forged"] == 401)
        #expect(status["stale"] == 401)
        #expect(status["elsewhere"] == 404)
        #expect(status["too-big"] == 413)
        #expect(daemon!.log.contains("callback rejected"), "taskhookd itself rejected the forged and stale ones")

        daemon!.signal(SIGTERM)
        #expect(daemon!.waitForExit() == 0)
        let dump = try DaemonProcess.runCLI(["journal", "dump", "--dir", journal])
        try #require(dump.status == 0, "taskhook journal dump: \(dump.error)")
        let deliveries = dump.output.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }.filter { $0["kind"] as? String == "delivery" }
        #expect(deliveries.map { $0["task_id"] as? String } == ["tls-1"], "only the signed callback is journaled")
        // The peer is the address nginx saw (the client, on loopback here), without the proxy's port,
        // and not what the client claimed.
        #expect(deliveries.first?["peer"] as? String == "127.0.0.1")
        daemon = nil
    }
}
