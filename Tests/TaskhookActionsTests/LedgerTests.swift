import Foundation
import TaskhookCore
import TaskhookPosix
import TestSupport
import Testing

@testable import TaskhookActions

@Suite struct LedgerTests {
    let key = JobKey(sequence: 9, task: "freepik:t-1", action: "notify")
    let end = TaskEnd(
        sequence: 9, taskID: "t-1", provider: "freepik", status: .completed, results: ["https://cdn/a.mp4"], time: 5)

    var records: [LedgerRecord] {
        [
            .cursor(8), .started(key, attempt: 1, time: 100, end: end),
            .finished(
                key, attempt: 1, time: 200,
                outcome: AttemptOutcome(
                    kind: .failed, exitStatus: 3, durationMilliseconds: 100, error: "exit status 3: boom"),
                final: false),
            .started(key, attempt: 2, time: 300, end: end),
            .finished(
                key, attempt: 2, time: 400,
                outcome: AttemptOutcome(
                    kind: .succeeded, exitStatus: 0, durationMilliseconds: 50,
                    files: [FetchedFile(url: "https://cdn/a.mp4", path: "/v/a.mp4", size: 3, sha256: "ab")]),
                final: true),
        ]
    }

    @Test func everyRecordReadsBackAsWritten() {
        for record in records {
            #expect(LedgerRecord.parse(Array(record.json.text.utf8)) == record, "\(record.json.text)")
        }
        #expect(LedgerRecord.parse(Array(#"{"kind":"started","sequence":1}"#.utf8)) == nil)
        #expect(LedgerRecord.parse(Array("\0\0\0".utf8)) == nil)
    }

    @Test func theLedgerCountsAttemptsAndFailures() {
        let ledger = ActionLedger(Array(records.prefix(4)))
        let job = ledger.jobs[key]!
        #expect(job.starts == 2)
        #expect(job.failures == 1)
        #expect(job.interrupted == 1)
        #expect(job.lastAttemptInterrupted)
        #expect(ledger.pending == [key])
        #expect(ledger.lowestPendingSequence == 9)
        #expect(ActionLedger(records).pending.isEmpty)
    }

    @Test func compactionKeepsWhatDecidesAndTheMostRecentHistory() {
        var all: [LedgerRecord] = [.cursor(100)]
        for sequence in 1...10 {
            let old = JobKey(sequence: UInt64(sequence), task: "p:\(sequence)", action: "a")
            all.append(
                .finished(
                    old, attempt: 1, time: Int64(sequence), outcome: AttemptOutcome(kind: .succeeded), final: true))
        }
        let pending = JobKey(sequence: 101, task: "p:x", action: "a")
        let pastCursor = JobKey(sequence: 102, task: "p:y", action: "a")
        all += [
            .started(pending, attempt: 1, time: 50, end: end),
            .started(pastCursor, attempt: 1, time: 51, end: end),
            .finished(pastCursor, attempt: 1, time: 52, outcome: AttemptOutcome(kind: .succeeded), final: true),
        ]
        let ledger = ActionLedger(all)
        let compacted = ledger.compacted(history: 3)
        let rebuilt = ActionLedger(compacted)
        #expect(rebuilt.cursor == 100)
        #expect(rebuilt.pending == [pending])
        #expect(rebuilt.jobs[pastCursor]?.isFinal == true)
        #expect(Set(rebuilt.jobs.keys.map(\.sequence)) == [8, 9, 10, 101, 102])
        #expect(rebuilt.compacted(history: 3) == compacted)
    }

    @Test func aTornLastLineIsLeftOutAndADamagedOneBeforeGoodOnesIsAnError() throws {
        let directory = DaemonProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/" + LedgerFile.fileName
        let lines = records.map { $0.json.text + "\n" }.joined()
        try (lines + #"{"kind":"started","seq"#).write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try LedgerFile.read(path: path) == records)
        try (lines + "\0\0\0\0\n").write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try LedgerFile.read(path: path) == records)
        try ("\0\0\0\0\n" + lines).write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: LedgerError.self) { try LedgerFile.read(path: path) }
        #expect(try LedgerFile.read(path: directory + "/none") == [])
    }

    @Test func theRunnerOpensTheLedgerAloneCompactsItAndAppendsDurably() throws {
        let directory = DaemonProcess.temporaryDirectory() + "/state"
        defer { try? FileManager.default.removeItem(atPath: (directory as NSString).deletingLastPathComponent) }
        do {
            let (file, ledger) = try LedgerFile.open(directory: directory)
            #expect(!ledger.hasCursor)
            #expect(throws: LedgerError.self) { try LedgerFile.open(directory: directory) }
            try file.append(Array(records.prefix(3)))
        }
        let path = directory + "/" + LedgerFile.fileName
        let handle = FileHandle(forWritingAtPath: path)!
        handle.seekToEndOfFile()
        handle.write(Data(#"{"kind":"fin"#.utf8))  // a crash mid-append
        handle.closeFile()
        let (_, reopened) = try LedgerFile.open(directory: directory)
        #expect(reopened == ActionLedger(Array(records.prefix(3))))
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.hasSuffix("}\n"))
    }
}
