import TaskhookCore
import Testing

@testable import TaskhookActions

@Suite struct OutputAndListingTests {
    @Test func outputIsCutIntoLinesWhateverThePiecesAndItsEndIsTheReason() {
        var lines = OutputLines()
        var logged: [String] = []
        for piece in ["start\nhal", "f a line\r\n", "\n", "  \n", "last error"] {
            logged += lines.feed(Array(piece.utf8))
        }
        logged += lines.finish()
        #expect(logged == ["start", "half a line", "", "  ", "last error"])
        #expect(lines.reason("exit status 3") == "exit status 3: start | half a line | last error")
        #expect(OutputLines().reason("killed by signal 9") == "killed by signal 9")
    }

    @Test func aLongLineIsCutAndAFloodIsNotAllLogged() {
        var lines = OutputLines()
        let long = lines.feed([UInt8](repeating: UInt8(ascii: "x"), count: OutputLines.maxLine + 10) + [10])
        #expect(long.map(\.count) == [OutputLines.maxLine, 10])
        var flood = OutputLines()
        let logged = flood.feed(Array(String(repeating: "y\n", count: OutputLines.maxLines + 5).utf8))
        #expect(logged.count == OutputLines.maxLines)
        #expect(flood.dropped == 5)
    }

    func ledger() -> ActionLedger {
        let end = TaskEnd(sequence: 1, taskID: "a", provider: "freepik", status: .completed)
        let one = JobKey(sequence: 1, task: "freepik:a", action: "notify")
        let two = JobKey(sequence: 2, task: "fal:b", action: "notify")
        let three = JobKey(sequence: 3, task: "fal:c", action: "fetch")
        return ActionLedger([
            .cursor(0),
            .started(one, attempt: 1, time: 10, end: end),
            .finished(
                one, attempt: 1, time: 20,
                outcome: AttemptOutcome(kind: .succeeded, exitStatus: 0, durationMilliseconds: 10), final: true),
            .started(two, attempt: 1, time: 30, end: end),
            .finished(
                two, attempt: 1, time: 40,
                outcome: AttemptOutcome(
                    kind: .failed, exitStatus: 3, durationMilliseconds: 1500, error: "exit status 3: no"),
                final: false),
            .started(three, attempt: 1, time: 50, end: end),
        ])
    }

    @Test func theListingShowsEachJobNewestFirstWithItsState() {
        let rows = OutcomeListing.rows(ledger(), limit: 10)
        #expect(rows.map(\.key.task) == ["fal:c", "fal:b", "freepik:a"])
        #expect(rows.map(\.state) == ["started", "retrying", "succeeded"])
        #expect(rows[1].exitStatus == 3)
        #expect(rows[1].error == "exit status 3: no")
        #expect(OutcomeListing.rows(ledger(), limit: 1).count == 1)
        #expect(OutcomeListing.rows(ledger(), limit: 10, task: "b").map(\.key.task) == ["fal:b"])
        #expect(OutcomeListing.rows(ledger(), limit: 10, unsuccessfulOnly: true).count == 2)
        let table = OutcomeListing.table(rows)
        #expect(table.hasPrefix("TIME "))
        #expect(table.contains("retrying   3     1.5s      exit status 3: no\n"))
        #expect(table.contains("succeeded  0     10ms\n"))
        let json = OutcomeListing.json(rows[1]).text
        #expect(json.contains(#""outcome":"retrying","exit_status":3,"duration_ms":1500,"error":"exit status 3: no""#))
    }

    @Test func theMetricsTextHasEverySeriesFromTheStart() {
        var metrics = ActionMetrics(actions: ["notify"])
        #expect(metrics.text.contains(#"taskhook_action_attempts_total{action="notify",outcome="failed"} 0"#))
        metrics.record(action: "notify", AttemptOutcome(kind: .failed, durationMilliseconds: 1500))
        metrics.cursor = 42
        metrics.connected = true
        #expect(metrics.text.contains(#"taskhook_action_attempts_total{action="notify",outcome="failed"} 1"#))
        #expect(metrics.text.contains(#"taskhook_action_attempt_seconds_sum{action="notify"} 1.5"#))
        #expect(metrics.text.contains("taskhook_actions_cursor_sequence 42\n"))
        #expect(metrics.text.contains("taskhook_actions_connected 1\n"))
    }
}
