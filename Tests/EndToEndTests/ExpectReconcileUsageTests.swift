import Foundation
import TestSupport
import Testing

/// What `expect`, `reconcile` and `submit` refuse before they send anything: exit 64 with the
/// option named, and no process needed on the other end (the socket does not exist).
@Suite struct ExpectReconcileUsageTests {
    static let nowhere = ["--socket", "/nonexistent/taskhook/control.sock"]

    @Test(arguments: [
        (["expect", "fal", ""], "cannot be a task id"),
        (["expect", "freepik", "t", "--endpoint", "kling/image2video"], "is read by the kling profile, not freepik's"),
        (["expect", "fal", "t", "--poll-url", "queue.fal.run/x"], "--poll-url must be an http:// or https:// URL"),
        (["expect", "fal", "t", "--deadline", "2020-01-01T00:00Z"], "--deadline must be in the future"),
        (["expect", "fal", "t", "--deadline", "soon"], "--deadline"),
        (["expect", "fal", "t", "--label", "=x"], "--label"),
        (["reconcile", "--rate", "nope=3"], "--rate nope=…: not a vendor; vendors: aggregator, fal, freepik, kling"),
        (["reconcile", "--rate", "0"], "--rate must be above 0"),
        (["reconcile", "--quiet-period", "fal=forever"], "--quiet-period"),
        (["reconcile", "--concurrency", "0"], "--concurrency must be 1 to 256"),
        (["reconcile", "--min-backoff", "10s", "--max-backoff", "1s"], "--min-backoff must not exceed --max-backoff"),
        (["reconcile", "--base-url", "fal=queue.fal.run"], "--base-url must be an http:// or https:// URL"),
        (["submit", "freepik/kling-v2", "--timeout", "5m"], "--timeout goes with --wait"),
        (["submit", "freepik/kling-v2", "--wait", "--timeout", "whenever"], "--timeout"),
        (["submit", "freepik/kling-v2", "--public-url", "hooks.example.com"], "--public-url must be an http://"),
        (["submit", "freepik/kling-v2", "--deadline", "2020-01-01"], "--deadline must be in the future"),
        (["submit", "nope/model"], "unknown endpoint \"nope/model\""),
    ])
    func aBadValueIsRefusedNamingItsOptionBeforeAnythingIsSent(_ arguments: [String], _ reason: String) throws {
        let result = try DaemonProcess.runCLI(arguments + Self.nowhere)
        #expect(result.status == 64, "\(result.error)")
        #expect(result.error.contains(reason), "\(result.error)")
    }

    @Test func aDaemonThatCannotBeReachedIsExitSixtyNine() throws {
        let expect = try DaemonProcess.runCLI(["expect", "fal", "t"] + Self.nowhere)
        #expect(expect.status == 69)
        #expect(expect.error.contains("taskhookd is not reachable"), "\(expect.error)")
        let pass = try DaemonProcess.runCLI(["reconcile", "--once"] + Self.nowhere)
        #expect(pass.status == 69)
        #expect(pass.error.contains("warning listing failed reason="), "\(pass.error)")
    }
}
