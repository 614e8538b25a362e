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
    @Test func forgettingIsJournaledSoTheCheckpointAndTheRecordsAfterItGiveTheLiveTable() throws {
        let directory = JournalDirectory(path: DaemonProcess.temporaryDirectory())
        let writer = try GroupCommitWriter(
            directory: directory, recovery: try directory.recover(), options: JournalOptions())
        let day: Int64 = 86_400_000
        let now = FileSystem.wallClockMilliseconds()
        // Three tasks journaled 40 days, 29 days and a moment ago.
        for (id, age) in [("forty-days", 40 * day), ("twenty-nine-days", 29 * day), ("today", 0)] {
            let delivery = Delivery(
                route: "/h", provider: "freepik", remoteAddress: "test", deliveryID: "msg_\(id)", headers: [],
                body: [], events: [TaskEvent(taskID: id, provider: "freepik", status: .completed)])
            _ = writer.append(kind: .delivery, time: now - age, body: delivery.encoded())
        }
        var pfd = pollfd(fd: writer.completionsReady.rawValue, events: Int16(POLLIN), revents: 0)
        var appended = 0
        while appended < 3, poll(&pfd, 1, 5000) > 0 {
            appended += writer.takeCompletions().filter { if case .appended = $0 { true } else { false } }.count
        }
        let table = try JournalReplay.open(directory).table
        #expect(table.count == 3)
        let recorder = DeliveryRecorder(
            writer: writer, store: TaskStore(table: table, maxWaiters: 1), checkpointEvery: 100,
            taskRetentionSeconds: 30 * 86_400,
            logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })

        recorder.forgetExpiredTasks()
        recorder.checkpoint()
        recorder.close()  // writes what is queued (the forget record, the checkpoint) and applies it

        #expect(Set(recorder.store.table.tasks.keys.map(\.id)) == ["twenty-nine-days", "today"])
        #expect(try JournalReplay.open(directory).table == recorder.store.table)
    }

    @Test func aTableRebuiltFromTheJournalIsTheLiveOneAfterForgettingAndALateResend() throws {
        let directory = JournalDirectory(path: DaemonProcess.temporaryDirectory())
        let writer = try GroupCommitWriter(
            directory: directory, recovery: try directory.recover(), options: JournalOptions())
        let recorder = DeliveryRecorder(
            writer: writer, store: TaskStore(table: TaskTable(), maxWaiters: 1), checkpointEvery: 100,
            taskRetentionSeconds: 3600,
            logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        let delivery = Delivery(
            route: "/h", provider: "freepik", remoteAddress: "test", deliveryID: "msg_1", headers: [], body: [],
            events: [TaskEvent(taskID: "t", provider: "freepik", status: .completed, results: ["https://cdn/v.mp4"])])
        func deliver() -> DeliveryRecorder.Outcome? {
            let outcome = Locked<DeliveryRecorder.Outcome?>(nil)
            recorder.record(delivery) { answer in outcome.withLock { $0 = answer } }
            recorder.submit()
            settle(recorder) { outcome.value != nil }
            return outcome.value
        }
        #expect(deliver() == .recorded(sequence: 1))
        // An hour and a second later the task is forgotten; then the provider resends.
        recorder.forgetExpiredTasks(now: FileSystem.wallClockMilliseconds() + 3_601_000)
        recorder.submit()
        settle(recorder) { recorder.store.table.count == 0 }
        #expect(deliver() == .recorded(sequence: 3))
        recorder.close()

        let rebuilt = try JournalReplay.open(directory).table
        #expect(rebuilt == recorder.store.table)
        #expect(rebuilt.lastSequence == 3)
    }

    /// Takes the writer's completions until `done` holds or `within` has passed.
    func settle(_ recorder: DeliveryRecorder, within: Duration = .seconds(5), until done: () -> Bool) {
        let deadline = Instant.now() + within
        while !done(), Instant.now() < deadline {
            usleep(1000)
            recorder.takeCompletions()
        }
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
                sequence: 0, time: 1_000)  // before the journal's first record, the forget record
        }
        // A slice of no time: one shard each (at least one always), whatever the machine's speed.
        let recorder = DeliveryRecorder(
            writer: writer, store: TaskStore(table: table, maxWaiters: 1), checkpointEvery: 100,
            taskRetentionSeconds: 3600, retentionSlice: .zero,
            logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        let loop = try EventLoop()
        recorder.startForgetting(on: loop)  // it looks a shard at a time, finds old tasks, stages a record
        for _ in 0..<100 { try loop.runOnce(maximumWait: .milliseconds(10)) }
        recorder.submit()
        Self.drain(recorder) { recorder.store.table.lastSequence == 1 }  // durable: the sweep begins
        #expect(recorder.store.table.count == 6400)
        // Two iterations run the sweep's timer at most twice each: the first 1 to 4 shards go.
        try loop.runOnce(maximumWait: .milliseconds(10))
        try loop.runOnce(maximumWait: .milliseconds(10))
        let leftAfterShards = (1...4).map { swept in 6400 - (0..<swept).reduce(0) { $0 + table.tasks.shard($1).count } }
        #expect(leftAfterShards.contains(recorder.store.table.count), "\(recorder.store.table.count)")
        for _ in 0..<5000 where recorder.store.table.count > 0 { try loop.runOnce(maximumWait: .milliseconds(10)) }
        #expect(recorder.store.table.count == 0)
        #expect(recorder.store.table.count(withStatus: .created) == 0)
    }

    @Test func deliveriesDuringASweepLeaveTheTableAReplayOfTheJournalGives() throws {
        let directory = JournalDirectory(path: DaemonProcess.temporaryDirectory())
        let writer = try GroupCommitWriter(
            directory: directory, recovery: try directory.recover(), options: JournalOptions())
        let twoHoursAgo = FileSystem.wallClockMilliseconds() - 7_200_000
        func delivery(_ id: Int, _ status: TaskStatus) -> Delivery {
            Delivery(
                route: "/h", provider: "freepik", remoteAddress: "test", deliveryID: "\(status)-\(id)", headers: [],
                body: [], events: [TaskEvent(taskID: "t\(id)", provider: "freepik", status: status)])
        }
        for id in 0..<64 {
            _ = writer.append(kind: .delivery, time: twoHoursAgo, body: delivery(id, .created).encoded())
        }
        var pfd = pollfd(fd: writer.completionsReady.rawValue, events: Int16(POLLIN), revents: 0)
        var appended = 0
        while appended < 64, poll(&pfd, 1, 5000) > 0 {
            appended += writer.takeCompletions().filter { if case .appended = $0 { true } else { false } }.count
        }
        let recorder = Self.recorder(
            writer, try JournalReplay.open(directory).table, checkpointEvery: 1000, retentionSeconds: 3600)
        let loop = try EventLoop()
        recorder.startForgetting(on: loop)
        // The probe looks at a slice of shards per loop iteration until it finds an expired task
        // and stages the forget record (64 tasks in 4096 shards: a few slices, not a fixed count);
        // once the record is durable the sweep begins, and the loop is not run again until later.
        let staged = Instant.now() + .seconds(5)
        while recorder.store.table.lastSequence < 65, Instant.now() < staged {
            try loop.runOnce(maximumWait: .milliseconds(1))
            recorder.submit()
            usleep(1000)
            recorder.takeCompletions()
        }
        #expect(recorder.store.table.lastSequence == 65, "the forget record was not made durable")
        // Before any slice runs, every task hears news: each must start afresh, as in a replay,
        // where the forget record forgot it first.
        for id in 0..<64 {
            let answered = Locked(false)
            recorder.record(delivery(id, .completed)) { _ in answered.withLock { $0 = true } }
            recorder.submit()
            Self.drain(recorder) { answered.value }
        }
        for _ in 0..<200 { try loop.runOnce(maximumWait: .milliseconds(1)) }
        recorder.close()
        #expect(recorder.store.table.count == 64)
        #expect(recorder.store.table.tasks.values.allSatisfy { $0.reports.count == 1 })
        #expect(try JournalReplay.open(directory).table == recorder.store.table)
    }

    @Test func nothingIsForgottenWithinTheRetention() throws {
        let directory = JournalDirectory(path: DaemonProcess.temporaryDirectory())
        let writer = try GroupCommitWriter(
            directory: directory, recovery: try directory.recover(), options: JournalOptions())
        defer { writer.close() }
        var table = TaskTable()
        table.apply(
            TaskEvent(taskID: "t", provider: "freepik", status: .inProgress), deliveryID: nil, sequence: 0,
            time: 1_000)  // before the journal's first record (the forget record)
        let recorder = DeliveryRecorder(
            writer: writer, store: TaskStore(table: table, maxWaiters: 1), checkpointEvery: 100,
            taskRetentionSeconds: 3600,
            logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        recorder.forgetExpiredTasks(now: 1_000 + 3_600_000)
        recorder.submit()
        settle(recorder, within: .milliseconds(300)) { false }  // nothing that old: nothing journaled
        #expect(recorder.store.table.count == 1)
        #expect(try directory.verify().records == 0)
        recorder.forgetExpiredTasks(now: 1_000 + 3_600_001)
        recorder.submit()
        settle(recorder) { recorder.store.table.count == 0 }
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
