import Crypto
import Foundation
import Glibc
import TaskhookPosix
import TestSupport
import Testing

/// An Ed25519 key as fal publishes it (JWKS) and as `send-test --key` takes it (private JWK).
struct TestSigningKey {
    let key = Curve25519.Signing.PrivateKey()

    static func base64url(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    var jwks: String {
        #"{"keys":[{"kty":"OKP","crv":"Ed25519","kid":"test","x":"\#(Self.base64url(key.publicKey.rawRepresentation))"}]}"#
    }

    var privateJWK: String {
        #"{"kty":"OKP","crv":"Ed25519","d":"\#(Self.base64url(key.rawRepresentation))","x":"\#(Self.base64url(key.publicKey.rawRepresentation))"}"#
    }
}

@Suite struct CLITests {
    let directory = DaemonProcess.temporaryDirectory()

    func write(_ name: String, _ text: String) throws -> String {
        let path = directory + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func config(_ routes: String) throws -> String {
        try write("taskhook.yaml", "routes:\n" + routes)
    }

    @Test func sendTestSignsAsEachProviderDoesAndReportsTheAnswer() throws {
        let path = try config(
            """
              - path: /hooks/freepik
                provider: freepik
                secret: {value: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}
              - path: /hooks/replicate
                provider: replicate
                secret: {value: "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD"}
              - path: /hooks/kling
                provider: kling
                token: {value: "kling-token-0123456789"}
            """)
        let daemon = try DaemonProcess(arguments: ["--config", path])
        let base = "http://\(daemon.address)"
        let freepik = try DaemonProcess.runCLI([
            "send-test", base + "/hooks/freepik", "--provider", "freepik", "--secret",
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "--task-id", "t-1",
        ])
        #expect(freepik.status == 0, "\(freepik)")
        #expect(freepik.output.contains("answer: 200"))
        let replicate = try DaemonProcess.runCLI([
            "send-test", base + "/hooks/replicate", "--provider", "replicate", "--secret",
            "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD", "--status", "failed",
        ])
        #expect(replicate.status == 0, "\(replicate)")
        let kling = try DaemonProcess.runCLI([
            "send-test", base + "/hooks/kling/kling-token-0123456789", "--provider", "kling",
        ])
        #expect(kling.status == 0, "\(kling)")
        let wrong = try DaemonProcess.runCLI([
            "send-test", base + "/hooks/freepik", "--provider", "freepik", "--secret", "whsec_d3Jvbmcgc2VjcmV0IGJ5dGVz",
        ])
        #expect(wrong.status == 1)
        #expect(wrong.output.contains("answer: 401 no v1 signature matched"))
        let nobody = try DaemonProcess.runCLI(["send-test", "http://127.0.0.1:1/hooks/x", "--provider", "kling"])
        #expect(nobody.status == 69)
        let usage = try DaemonProcess.runCLI(["send-test", base + "/hooks/freepik", "--provider", "freepik"])
        #expect(usage.status == 64)
        #expect(usage.error.contains("needs --secret"))
    }

    @Test func sendTestRefusesAStatusTheProviderHasNoWordFor() throws {
        let key = try write("fal.jwk", TestSigningKey().privateJWK)
        for (provider, status, extra) in [
            ("fal", "in_progress", ["--key", key]), ("fal", "created", ["--key", key]),
            ("fal", "canceled", ["--key", key]), ("kling", "canceled", []),
            ("freepik", "canceled", ["--secret", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"]),
        ] {
            // Refused before anything is sent: no daemon listens on port 1.
            let result = try DaemonProcess.runCLI(
                ["send-test", "http://127.0.0.1:1/hooks/x", "--provider", provider, "--status", status] + extra)
            #expect(result.status == 64, "\(provider) \(status): \(result)")
            #expect(result.error.contains("\(provider) has no status \(status)"), "\(result)")
        }
    }

    @Test func aFalRouteTakesNewKeysFromItsJWKSFileWithoutARestart() throws {
        let old = TestSigningKey()
        let new = TestSigningKey()
        let jwks = try write("fal-jwks.json", old.jwks)
        let oldKey = try write("old.jwk", old.privateJWK)
        let newKey = try write("new.jwk", new.privateJWK)
        let daemon = try DaemonProcess(
            arguments: ["--config", try config("  - path: /hooks/fal\n    provider: fal\n    jwks: {file: \(jwks)}\n")])
        let url = "http://\(daemon.address)/hooks/fal"
        func send(_ key: String) throws -> Int32 {
            try DaemonProcess.runCLI(["send-test", url, "--provider", "fal", "--key", key]).status
        }
        #expect(try send(oldKey) == 0)
        #expect(try send(newKey) == 1)
        // Rotate as `taskhook jwks fetch` does: a new file renamed over the old one.
        // The file is looked at, at most once a second, when a callback arrives.
        let staged = try write("fal-jwks.json.new", new.jwks)
        #expect(rename(staged, jwks) == 0)
        usleep(1_100_000)
        #expect(try send(newKey) == 0)
        #expect(daemon.waitForLog("fal JWKS reloaded"))
        #expect(try send(oldKey) == 1)
        // A broken replacement is refused and the keys in use stay.
        let broken = try write("fal-jwks.json.bad", "{\"keys\": [")
        #expect(rename(broken, jwks) == 0)
        usleep(1_100_000)
        #expect(try send(newKey) == 0)
        #expect(daemon.waitForLog("cannot be used; keeping the previous keys"))
    }

    @Test func jwksFetchReplacesTheFileOnlyWithAUsableKeySet() throws {
        let key = TestSigningKey()
        let served = directory + "/served"
        mkdir(served, 0o700)
        try key.jwks.write(toFile: served + "/jwks.json", atomically: true, encoding: .utf8)
        try "{\"keys\": []}".write(toFile: served + "/empty.json", atomically: true, encoding: .utf8)
        // A plain local HTTP server stands in for fal's key endpoint: in its own process group,
        // killed and reaped whatever the test's outcome.
        let server = try ChildProcess(
            "python3",
            [
                "-c",
                "import http.server,functools,sys;s=http.server.ThreadingHTTPServer(('127.0.0.1',0),functools.partial(http.server.SimpleHTTPRequestHandler,directory=sys.argv[1]));print(s.server_address[1],flush=True);s.serve_forever()",
                served,
            ])
        defer { server.stop() }
        let deadline = Instant.now() + .seconds(10)
        while !server.output.hasSuffix("\n"), server.isRunning, Instant.now() < deadline { usleep(10_000) }
        let port = server.output.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(Int(port) != nil, "the key server did not start: \(server.errorOutput)")
        let out = directory + "/fal-jwks.json"
        let fetched = try DaemonProcess.runCLI([
            "jwks", "fetch", "--url", "http://127.0.0.1:\(port)/jwks.json", "--out", out,
        ])
        #expect(fetched.status == 0, "\(fetched)")
        #expect(fetched.output.contains("1 Ed25519 key(s)"))
        #expect(try String(contentsOfFile: out, encoding: .utf8) == key.jwks)
        let empty = try DaemonProcess.runCLI([
            "jwks", "fetch", "--url", "http://127.0.0.1:\(port)/empty.json", "--out", out,
        ])
        #expect(empty.status == 1)
        #expect(empty.error.contains("left as it was"))
        let missing = try DaemonProcess.runCLI([
            "jwks", "fetch", "--url", "http://127.0.0.1:\(port)/nope.json", "--out", out,
        ])
        #expect(missing.status == 1)
        #expect(try String(contentsOfFile: out, encoding: .utf8) == key.jwks)
    }

    @Test func checkConfigReadsEverySecretAndNamesWhatIsWrong() throws {
        let good = try config(
            "  - path: /hooks/freepik\n    provider: freepik\n    secret: {env: TASKHOOK_TEST_SECRET}\n")
        let checked = try ChildProcess.run(
            DaemonProcess.binary.path, ["--config", good, "--check-config"],
            environment: ["TASKHOOK_TEST_SECRET": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"])
        #expect(checked.status == 0, "\(checked)")
        let missing = try ChildProcess.run(
            DaemonProcess.binary.path, ["--config", good, "--check-config"], environment: [:])
        #expect(missing.status == 78)
        #expect(missing.error.contains("TASKHOOK_TEST_SECRET is not set"))
    }

    @Test func checkConfigReadsTheAdminListenersTokenToo() throws {
        let path = try write(
            "admin.yaml",
            "control:\n  admin: {listen: \"127.0.0.1:0\", token: {env: TASKHOOK_TEST_ADMIN_TOKEN}}\n")
        for (environment, status) in [(["TASKHOOK_TEST_ADMIN_TOKEN": "a-long-enough-token"], Int32(0)), ([:], 78)] {
            let checked = try ChildProcess.run(
                DaemonProcess.binary.path, ["--config", path, "--check-config"], environment: environment)
            #expect(checked.status == status, "\(checked.error)")
            if status != 0 { #expect(checked.error.contains("control.admin.token"), "\(checked.error)") }
        }
    }
}
