import Glibc
import Logging
import TaskhookCore
import TaskhookJournal
import TaskhookPosix
import TaskhookState
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
            writer: writer, store: TaskStore(table: table, maxWaiters: 1), checkpointEvery: 100,
            taskRetentionSeconds: 30 * 86_400,
            logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })

        recorder.checkpoint()
        writer.close()  // writes what is queued, the checkpoint included

        #expect(Set(recorder.store.table.tasks.keys.map(\.id)) == ["twenty-nine-days", "today"])
        let loaded = try #require(try Checkpoint.latest(in: directory))
        #expect(loaded.sequence == 3)
        #expect(try TaskTable(decoding: loaded.payload) == recorder.store.table)
    }

    @Test func aCheckpointWaitsForAsManyRecordsAsTheTableHasTasks() throws {
        let directory = JournalDirectory(path: DaemonProcess.temporaryDirectory())
        let writer = try GroupCommitWriter(
            directory: directory, recovery: try directory.recover(), options: JournalOptions())
        let now = FileSystem.wallClockMilliseconds()
        var table = TaskTable()
        for id in 0..<5 {
            table.apply(
                TaskEvent(taskID: "t\(id)", provider: "freepik", status: .created), deliveryID: "c\(id)",
                sequence: table.lastSequence + 1, time: now)
        }
        let recorder = DeliveryRecorder(
            writer: writer, store: TaskStore(table: table, maxWaiters: 1), checkpointEvery: 2,
            taskRetentionSeconds: 86_400,
            logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        // Updates of the same five tasks, so the table stays at five.
        func deliver(_ id: Int) {
            let answered = Locked(false)
            recorder.record(
                Delivery(
                    route: "/h", provider: "freepik", remoteAddress: "test", deliveryID: "u\(id)", headers: [],
                    body: [], events: [TaskEvent(taskID: "t\(id)", provider: "freepik", status: .inProgress)])
            ) { _ in answered.withLock { $0 = true } }
            recorder.submit()
            let deadline = Instant.now() + .seconds(5)
            while !answered.value, Instant.now() < deadline {
                usleep(1000)
                recorder.takeCompletions()
            }
        }
        for id in 0..<4 { deliver(id) }
        // checkpoint-every is 2, but the table has 5 tasks: not yet.
        #expect(recorder.sinceCheckpoint == 4)
        deliver(4)
        #expect(recorder.sinceCheckpoint == 0)
        writer.close()
        #expect(try Checkpoint.latest(in: directory)?.sequence == 5)
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
            writer: writer, store: TaskStore(table: table, maxWaiters: 1), checkpointEvery: 100,
            taskRetentionSeconds: 3600,
            logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        recorder.forgetExpiredTasks(now: 1_000 + 3_600_000)
        #expect(recorder.store.table.count == 1)
        recorder.forgetExpiredTasks(now: 1_000 + 3_600_001)
        #expect(recorder.store.table.count == 0)
    }
}
