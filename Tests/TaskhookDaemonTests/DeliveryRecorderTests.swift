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

        recorder.checkpoint()
        recorder.close()  // writes what is queued (the forget record, then the checkpoint) and applies it

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
        recorder.submit()
        settle(recorder, within: .milliseconds(200)) { false }  // nothing to forget: nothing is journaled
        #expect(recorder.store.table.count == 1)
        #expect(recorder.store.table.lastSequence == 1)
        recorder.forgetExpiredTasks(now: 1_000 + 3_600_001)
        recorder.submit()
        settle(recorder) { recorder.store.table.count == 0 }
        #expect(recorder.store.table.count == 0)
    }
}
