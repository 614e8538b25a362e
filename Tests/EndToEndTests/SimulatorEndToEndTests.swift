import Crypto
import Foundation
import TaskhookPosix
import TestSupport
import Testing

/// A daemon with a route for each provider the simulator signs for, the simulator, the reconciler,
/// and the keys all three need: the whole flow on this machine.
final class SimulatedDeployment {
    let directory = DaemonProcess.temporaryDirectory()
    var keyDirectory: String { directory + "/keys" }
    var log: String { directory + "/simulator.log" }
    let klingToken = "kling-path-token-" + UUID().uuidString.lowercased().prefix(8)
    private(set) var daemon: DaemonProcess!
    private(set) var simulator: SimulatorProcess!
    private(set) var reconcilers: [ChildProcess] = []
    var journal: String { directory + "/journal" }

    /// `reconcilerArguments` nil: no reconciler (`startReconciler` starts one later). `configuration`:
    /// more of taskhook.yaml after the routes (an actions: section).
    init(simulatorArguments: [String] = [], reconcilerArguments: [String]? = [], configuration: String = "") throws {
        try FileManager.default.createDirectory(atPath: keyDirectory, withIntermediateDirectories: true)
        let falKey = Curve25519.Signing.PrivateKey()
        let x = Self.base64url(falKey.publicKey.rawRepresentation)
        let d = Self.base64url(falKey.rawRepresentation)
        try write(#"{"kty":"OKP","crv":"Ed25519","d":"\#(d)","x":"\#(x)"}"#, to: "keys/fal-private-jwk")
        try write(#"{"keys":[{"kty":"OKP","crv":"Ed25519","x":"\#(x)"}]}"#, to: "fal-jwks.json")
        try write("sim-freepik-secret", to: "keys/freepik-webhook-secret")
        try write(klingToken, to: "kling.token")
        for name in ["freepik-api-key", "fal-key", "aggregator-api-key", "kling-access-key", "kling-secret-key"] {
            try write("key-\(name)", to: "keys/\(name)")
        }
        try write(
            """
            routes:
              - path: /hooks/freepik
                provider: freepik
                secret: {file: \(keyDirectory)/freepik-webhook-secret}
              - path: /hooks/fal
                provider: fal
                jwks: {file: \(directory)/fal-jwks.json}
              - path: /hooks/kling
                provider: kling
                token: {file: \(directory)/kling.token}
            """ + "\n" + configuration, to: "taskhook.yaml")
        daemon = try DaemonProcess(arguments: ["--config", directory + "/taskhook.yaml", "--journal-dir", journal])
        simulator = try SimulatorProcess(
            arguments: ["--key-dir", keyDirectory, "--log", log] + simulatorArguments)
        if let reconcilerArguments { try startReconciler(reconcilerArguments) }
    }

    /// `taskhook reconcile` on the simulator with a test's timings (a task quiet for 0.3 s is read),
    /// ended with the deployment.
    @discardableResult
    func startReconciler(_ arguments: [String] = []) throws -> ChildProcess {
        let reconciler = try ChildProcess(
            DaemonProcess.cli.path,
            [
                "reconcile", "--socket", daemon.controlSocket, "--key-dir", keyDirectory, "--base-url",
                simulator.baseURL, "--quiet-period", "0.3s", "--poll-interval", "0.3s", "--relist-interval", "0.2s",
                "--request-timeout", "5s",
            ] + arguments)
        reconcilers.append(reconciler)
        return reconciler
    }

    var publicURL: String { "http://\(daemon.address)" }

    /// Ends the simulator and the daemon; call it in a `defer` (`deinit` calls it too).
    func stop() {
        for reconciler in reconcilers { reconciler.stop() }
        simulator?.stop()
        daemon?.process.stop()
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    func write(_ text: String, to name: String) throws {
        try text.write(toFile: directory + "/" + name, atomically: true, encoding: .utf8)
    }

    static func base64url(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// `taskhook submit … --wait` against the simulator, the callback pointed at the daemon.
    func submit(_ endpoint: String, route: String, _ settings: [String], wait: Bool = true, extra: [String] = [])
        throws -> (status: Int32, output: String, error: String)
    {
        var arguments = [
            "submit", endpoint, "--base-url", simulator.baseURL, "--public-url", publicURL, "--route", route,
            "--key-dir", keyDirectory, "--socket", daemon.controlSocket,
        ]
        arguments += settings.flatMap { ["--set", $0] } + extra
        if wait { arguments += ["--wait", "--timeout", "20s"] }
        return try DaemonProcess.runCLI(arguments)
    }

    /// A Freepik kling-v2 task submitted without waiting: its id.
    func submitFreepik(extra: [String] = []) throws -> String {
        let result = try submit(
            "freepik/kling-v2", route: "/hooks/freepik", ["image=https://example.com/cat.jpg", "duration=5"],
            wait: false, extra: extra)
        #expect(result.status == 0, "\(result.error)\n\(daemon.log)")
        return result.output.split(separator: "\n").first.map(String.init) ?? ""
    }

    /// `taskhook` with `arguments` and this deployment's control socket.
    func cli(_ arguments: [String], timeout: Duration = .seconds(30)) throws -> (
        status: Int32, output: String, error: String
    ) {
        try DaemonProcess.runCLI(arguments + ["--socket", daemon.controlSocket], timeout: timeout)
    }

    /// `taskhook wait REF` started now, waiting while the test goes on.
    func waiter(_ ref: String) throws -> ChildProcess {
        try ChildProcess(
            DaemonProcess.cli.path, ["wait", ref, "--timeout", "20s", "--socket", daemon.controlSocket])
    }

    /// The task as `taskhook status --json` gives it.
    func task(_ ref: String) throws -> [String: Any] {
        let result = try cli(["status", ref, "--json"])
        return (try? JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any]) ?? [:]
    }

    /// The journal's records, one dictionary each (`taskhook journal dump`).
    func journalRecords() throws -> [[String: Any]] {
        let result = try DaemonProcess.runCLI(["journal", "dump", "--dir", journal])
        return result.output.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    /// The simulator's answers to status reads (GETs) of `path`-containing URLs, in time order.
    func statusReads(containing text: String) -> [(time: Double, status: Int)] {
        logEntries().compactMap { entry in
            guard entry["kind"] as? String == "request", let request = entry["request"] as? [String: Any],
                request["method"] as? String == "GET", (request["path"] as? String)?.contains(text) == true,
                let time = request["time"] as? Double, let status = request["status"] as? Int
            else { return nil }
            return (time, status)
        }
    }

    /// The simulator's log, one JSON object a line.
    func logEntries() -> [[String: Any]] {
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }
}

@Suite struct SimulatorEndToEndTests {
    static let cases: [(endpoint: String, route: String, settings: [String])] = [
        ("freepik/kling-v2-5-pro", "/hooks/freepik", ["duration=5"]),
        ("freepik/kling-v2", "/hooks/freepik", ["image=https://example.com/cat.jpg", "duration=5"]),
        ("freepik/kling-elements-pro", "/hooks/freepik", [#"images=["https://example.com/a.jpg"]"#]),
        ("freepik/kling-v2-1-std", "/hooks/freepik", ["prompt=a cat", "duration=10"]),
        ("fal/kling-video-v2.5-turbo-pro", "/hooks/fal", ["prompt=cars", "image_url=https://example.com/c.jpg"]),
        ("kling/image2video", "/hooks/kling/", ["image=https://example.com/i.jpg"]),
        // Seed 004: no webhook field; the reconciler ends it by polling.
        (
            "aggregator/kling-video-v2.5-turbo-pro", "/hooks/fal",
            ["prompt=cars", "image_url=https://example.com/c.jpg"]
        ),
    ]

    @Test(arguments: cases.indices)
    func aSubmittedTaskIsCompletedByTheSimulatorsSignedCallbackAndWaitPrintsItsVideo(_ index: Int) throws {
        let deployment = try SimulatedDeployment()
        defer { deployment.stop() }
        var (endpoint, route, settings) = Self.cases[index]
        if route.hasSuffix("/") { route += deployment.klingToken }
        let result = try deployment.submit(endpoint, route: route, settings)
        #expect(result.status == 0, "\(result.error)\n\(deployment.daemon.log)")
        let lines = result.output.split(separator: "\n").map(String.init)
        let taskID = try #require(lines.first)
        #expect(lines.dropFirst().first == deployment.simulator.baseURL + "/videos/\(taskID).mp4")
        let callbacks = deployment.logEntries().filter { $0["kind"] as? String == "callback" }
        if endpoint.hasPrefix("aggregator/") {
            #expect(callbacks.isEmpty)
            let sources = (try deployment.task("fal:\(taskID)")["deliveries"] as? [[String: Any]])?.map { $0["source"] }
            #expect(sources?.contains { $0 as? String == "observation" } == true, "\(String(describing: sources))")
        } else {
            #expect(callbacks.contains { $0["answer"] as? Int == 200 || $0["answer"] as? Int == 202 }, "\(callbacks)")
        }
    }

    @Test func aRequestBreakingTheSchemaIsRefusedBeforeTheProviderHearsOfIt() throws {
        let deployment = try SimulatedDeployment()
        defer { deployment.stop() }
        let result = try deployment.submit(
            "freepik/kling-elements-pro", route: "/hooks/freepik",
            [#"images=["a","b","c","d","e"]"#, "aspect_ratio=4_3"], wait: false)
        #expect(result.status == 65)
        #expect(result.error.contains("images must have at most 4 items, not 5"))
        #expect(result.error.contains("aspect_ratio must be one of"))
        #expect(deployment.logEntries().isEmpty)
    }

    @Test func aFailedTaskEndsTheWaitWithExitStatusOne() throws {
        let deployment = try SimulatedDeployment(simulatorArguments: ["--fail-tasks"])
        defer { deployment.stop() }
        let result = try deployment.submit("freepik/kling-v2-5-pro", route: "/hooks/freepik", ["duration=5"])
        #expect(result.status == 1, "\(result.error)")
    }
}
