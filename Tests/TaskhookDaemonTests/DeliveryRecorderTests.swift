import Logging
import TaskhookCore
import TaskhookJournal
import TaskhookPosix
import TestSupport
import Testing

@testable import TaskhookDaemon

@Suite struct DeliveryRecorderTests {
    @Test func aCheckpointLeavesOutTasksPastTheirRetention() throws {
        let directory = JournalDirectory(path: DaemonProcess.temporaryDirectory())
        let writer = try GroupCommitWriter(
            directory: directory, recovery: try directory.recover(), options: JournalOptions())
        let day: Int64 = 86_400_000
        let now = FileSystem.wallClockMilliseconds()
        var table = TaskTable()
        for (id, age) in [("forty-days", 40 * day), ("twenty-nine-days", 29 * day), ("today", 0)] {
            table.apply(
                TaskEvent(taskID: id, provider: "freepik", status: .completed), deliveryID: "msg_\(id)",
                sequence: table.lastSequence + 1, time: now - age)
        }
        let recorder = DeliveryRecorder(
            writer: writer, table: table, checkpointEvery: 100, taskRetentionSeconds: 30 * 86_400,
            logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })

        recorder.checkpoint()
        writer.close()  // writes what is queued, the checkpoint included

        #expect(Set(recorder.table.tasks.keys) == ["twenty-nine-days", "today"])
        let loaded = try #require(try Checkpoint.latest(in: directory))
        #expect(loaded.sequence == 3)
        #expect(try TaskTable(decoding: loaded.payload) == recorder.table)
    }

    @Test func nothingIsForgottenWithinTheRetention() throws {
        let directory = JournalDirectory(path: DaemonProcess.temporaryDirectory())
        let writer = try GroupCommitWriter(
            directory: directory, recovery: try directory.recover(), options: JournalOptions())
        defer { writer.close() }
        var table = TaskTable()
        table.apply(
            TaskEvent(taskID: "t", provider: "freepik", status: .inProgress), deliveryID: nil, sequence: 1,
            time: 1_000)
        let recorder = DeliveryRecorder(
            writer: writer, table: table, checkpointEvery: 100, taskRetentionSeconds: 3600,
            logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        recorder.forgetExpiredTasks(now: 1_000 + 3_600_000)
        #expect(recorder.table.count == 1)
        recorder.forgetExpiredTasks(now: 1_000 + 3_600_001)
        #expect(recorder.table.count == 0)
    }
}
