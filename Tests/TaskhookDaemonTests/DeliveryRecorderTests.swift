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
    @Test func aSweepForgetsTasksPastTheirRetentionAndTheNextCheckpointLeavesThemOut() throws {
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
        let recorder = Self.recorder(writer, table, checkpointEvery: 100, retentionSeconds: 30 * 86_400)

        recorder.startSweep()  // no loop: the whole sweep at once
        recorder.checkpoint()
        writer.close()  // writes what is queued, the checkpoint included

        #expect(Set(recorder.store.table.tasks.keys.map(\.id)) == ["twenty-nine-days", "today"])
        #expect(recorder.store.table.count(withStatus: .completed) == 2)
        let loaded = try #require(try Checkpoint.latest(in: directory))
        #expect(loaded.sequence == 3)
        #expect(try TaskTable(decoding: loaded.payload) == recorder.store.table)
    }

    @Test func aCheckpointHoldsTheTableAsItWasWhenTakenNotItsLaterChanges() throws {
        let directory = JournalDirectory(path: DaemonProcess.temporaryDirectory())
        let writer = try GroupCommitWriter(
            directory: directory, recovery: try directory.recover(), options: JournalOptions())
        let now = FileSystem.wallClockMilliseconds()
        var table = TaskTable()
        for id in 0..<3000 {
            table.apply(
                TaskEvent(taskID: "t\(id)", provider: "freepik", status: .created), deliveryID: "c\(id)",
                sequence: table.lastSequence + 1, time: now)
        }
        let taken = table
        let store = TaskStore(table: table, maxWaiters: 1)
        let recorder = Self.recorder(writer, store: store, checkpointEvery: 100, retentionSeconds: 86_400)
        recorder.checkpoint()
        // Changes while the checkpoint thread encodes: in every shard, and new tasks.
        for id in 0..<3000 {
            store.apply(
                [TaskEvent(taskID: "t\(id)", provider: "freepik", status: .completed)], deliveryID: "d\(id)",
                sequence: 3000 + UInt64(id) + 1, time: now)
        }
        writer.close()
        let loaded = try #require(try Checkpoint.latest(in: directory))
        #expect(loaded.sequence == 3000)
        #expect(try TaskTable(decoding: loaded.payload) == taken)
        #expect(store.table.count(withStatus: .completed) == 3000)
    }

    @Test func checkpointsFollowTheJournalWhenEveryCallbackIsANewTask() throws {
        let directory = JournalDirectory(path: DaemonProcess.temporaryDirectory())
        let writer = try GroupCommitWriter(
            directory: directory, recovery: try directory.recover(), options: JournalOptions())
        let recorder = Self.recorder(writer, TaskTable(), checkpointEvery: 2, retentionSeconds: 86_400)
        func deliver(_ id: Int) {
            let answered = Locked(false)
            recorder.record(
                Delivery(
                    route: "/h", provider: "freepik", remoteAddress: "test", deliveryID: "u\(id)", headers: [],
                    body: [], events: [TaskEvent(taskID: "new-\(id)", provider: "freepik", status: .created)])
            ) { _ in answered.withLock { $0 = true } }
            recorder.submit()
            Self.drain(recorder) { answered.value }
        }
        deliver(0)
        #expect(recorder.sinceCheckpoint == 1 && !recorder.checkpointInFlight)
        deliver(1)  // two records: a checkpoint, though the table holds two tasks
        #expect(recorder.sinceCheckpoint == 0 && recorder.checkpointInFlight)
        Self.drain(recorder) { !recorder.checkpointInFlight }
        #expect(try Checkpoint.latest(in: directory)?.sequence == 2)
        deliver(2)
        deliver(3)  // records 4 and 5 (3 is the checkpoint's own record)
        #expect(recorder.checkpointInFlight)
        Self.drain(recorder) { !recorder.checkpointInFlight }
        writer.close()
        #expect(try Checkpoint.latest(in: directory)?.sequence == 5)
        #expect(recorder.store.table.count == 4)
    }

    @Test func aSweepOnTheLoopGoesASliceOfShardsPerIteration() throws {
        let directory = JournalDirectory(path: DaemonProcess.temporaryDirectory())
        let writer = try GroupCommitWriter(
            directory: directory, recovery: try directory.recover(), options: JournalOptions())
        defer { writer.close() }
        var table = TaskTable()
        for id in 0..<6400 {
            table.apply(
                TaskEvent(taskID: "t\(id)", provider: "freepik", status: .created), deliveryID: nil,
                sequence: table.lastSequence + 1, time: 1_000)
        }
        let recorder = Self.recorder(writer, table, checkpointEvery: 100, retentionSeconds: 3600)
        let loop = try EventLoop()
        recorder.startForgetting(on: loop)  // its first sweep starts at once
        try loop.runOnce(maximumWait: .milliseconds(10))
        try loop.runOnce(maximumWait: .milliseconds(10))
        let afterTwo = recorder.store.table.count
        #expect(afterTwo < 6400 && afterTwo > 5000, "two slices of 16 shards are about 1/32 of the table")
        for _ in 0..<200 where recorder.store.table.count > 0 { try loop.runOnce(maximumWait: .milliseconds(10)) }
        #expect(recorder.store.table.count == 0)
        #expect(recorder.store.table.count(withStatus: .created) == 0)
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
        let recorder = Self.recorder(writer, table, checkpointEvery: 100, retentionSeconds: 3600)
        recorder.startSweep(now: 1_000 + 3_600_000)
        #expect(recorder.store.table.count == 1)
        recorder.startSweep(now: 1_000 + 3_600_001)
        #expect(recorder.store.table.count == 0)
    }

    private static func recorder(
        _ writer: GroupCommitWriter, _ table: TaskTable, checkpointEvery: Int, retentionSeconds: Int64
    ) -> DeliveryRecorder {
        recorder(
            writer, store: TaskStore(table: table, maxWaiters: 1), checkpointEvery: checkpointEvery,
            retentionSeconds: retentionSeconds)
    }

    private static func recorder(
        _ writer: GroupCommitWriter, store: TaskStore, checkpointEvery: Int, retentionSeconds: Int64
    ) -> DeliveryRecorder {
        DeliveryRecorder(
            writer: writer, store: store, checkpointEvery: checkpointEvery, taskRetentionSeconds: retentionSeconds,
            logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
    }

    /// Takes the writer's completions until `done` (at most 5 s).
    private static func drain(_ recorder: DeliveryRecorder, until done: () -> Bool) {
        let deadline = Instant.now() + .seconds(5)
        while !done(), Instant.now() < deadline {
            usleep(1000)
            recorder.takeCompletions()
        }
    }
}
