import Glibc
import TaskhookCore
import TaskhookJournal
import TaskhookPosix
import TestSupport
import Testing

@testable import TaskhookState

/// Registrations, bindings, callbacks, status reads and deadlines in random orders, as a
/// busy daemon sees them: whatever the order, each task ends at most once (one wake-up), its
/// status never moves back, the index of awaited tasks is exactly the expected tasks not yet
/// ended, and a table rebuilt from the journal (with a checkpoint taken half-way) is the live one.
@Suite struct ExpectationInterleavingTests {
    final class CountingWaiter: TaskEndWaiter {
        var woken = 0
        func taskEnded(_ task: TrackedTask) { woken += 1 }
    }

    enum Step {
        case register(String, deadline: Int64)
        case expect(String, registration: String?, deadline: Int64?)
        case callback(String, TaskStatus, deliveryID: String?)
        case observation(String, TaskStatus)
        case deadline(String)
    }

    static func steps(seed: UInt64, count: Int) -> [Step] {
        var random = SplitMix64(seed: seed)
        let ids = ["a", "b", "c", "d"]
        let statuses: [TaskStatus] = [.created, .inProgress, .completed, .failed]
        return (0..<count).map { index in
            let id = ids[Int(random.next() % UInt64(ids.count))]
            let status = statuses[Int(random.next() % UInt64(statuses.count))]
            switch random.next() % 6 {
            case 0: return .register("r-\(id)", deadline: Int64(index + 50))
            case 1:
                return .expect(
                    id, registration: random.next() % 2 == 0 ? "r-\(id)" : nil,
                    deadline: random.next() % 3 == 0 ? nil : Int64(index + 40))
            case 2: return .callback(id, status, deliveryID: random.next() % 2 == 0 ? "m\(index % 7)" : nil)
            case 3, 4: return .observation(id, status)
            default: return .deadline(id)
            }
        }
    }

    static func checkpointRecord(_ writer: GroupCommitWriter) throws -> UInt64 {
        var pfd = pollfd(fd: writer.completionsReady.rawValue, events: Int16(POLLIN), revents: 0)
        while poll(&pfd, 1, 10_000) > 0 {
            for completion in writer.takeCompletions() {
                if case .checkpointed(_, let record, _) = completion { return record }
                if case .checkpointFailed(let error) = completion { throw error }
            }
        }
        throw JournalError.inconsistent("no checkpoint within 10 s")
    }

    @Test(arguments: [1, 2, 3, 4, 5, 6, 7, 8] as [UInt64])
    func anyOrderEndsEachTaskOnceAndReplaysToTheLiveTable(seed: UInt64) throws {
        let path = DaemonProcess.temporaryDirectory()
        let directory = JournalDirectory(path: path)
        let writer = try GroupCommitWriter(
            directory: directory, recovery: try directory.recover(), options: JournalOptions())
        let store = TaskStore(maxWaiters: 100)
        let waiters = Dictionary(uniqueKeysWithValues: ["a", "b", "c", "d"].map { ($0, CountingWaiter()) })
        for (id, waiter) in waiters { _ = store.addWaiter(waiter, for: "freepik:\(id)") }
        var sequence: UInt64 = 0
        let steps = Self.steps(seed: seed, count: 300)
        for (index, step) in steps.enumerated() {
            let time = Int64(index)
            let before = store.table.tasks.values.map { ($0.key, $0.status) }
            switch step {
            case .register(let registration, let deadline):
                let record = ExpectRecord(provider: "freepik", registration: registration, deadline: deadline)
                _ = writer.append(kind: .expect, time: time, body: record.encoded)
                sequence += 1
                store.expect(record, sequence: sequence, time: time)
            case .expect(let id, let registration, let deadline):
                let record = ExpectRecord(
                    provider: "freepik", id: id, registration: registration, endpoint: "freepik/kling-v2",
                    deadline: deadline)
                _ = writer.append(kind: .expect, time: time, body: record.encoded)
                sequence += 1
                store.expect(record, sequence: sequence, time: time)
            case .callback(let id, let status, let deliveryID):
                let event = TaskEvent(taskID: id, provider: "freepik", status: status)
                guard !store.isDuplicate([event], deliveryID: deliveryID) else { continue }
                let delivery = Delivery(
                    route: "/h", provider: "freepik", remoteAddress: "test", deliveryID: deliveryID, headers: [],
                    body: [], events: [event])
                _ = writer.append(kind: .delivery, time: time, body: delivery.encoded())
                sequence += 1
                store.apply([event], deliveryID: deliveryID, sequence: sequence, time: time)
            case .observation(let id, let status):
                let event = TaskEvent(taskID: id, provider: "freepik", status: status)
                guard store[TaskKey(provider: "freepik", id: id)] != nil,
                    !store.isDuplicate([event], deliveryID: nil, source: .observation)
                else { continue }
                let delivery = Delivery(
                    route: "/v1/tasks/freepik:\(id)/observations", provider: "freepik", remoteAddress: "control",
                    deliveryID: nil, headers: [], body: [], events: [event])
                _ = writer.append(kind: .observation, time: time, body: delivery.encoded())
                sequence += 1
                store.apply([event], deliveryID: nil, source: .observation, sequence: sequence, time: time)
            case .deadline(let id):
                // Only what the daemon's watch would journal: an awaited task past its deadline.
                let record = DeadlineRecord.task(TaskKey(provider: "freepik", id: id))
                guard store.table.deadlines(reachedBy: time).contains(record) else { continue }
                _ = writer.append(kind: .deadline, time: time, body: record.encoded)
                sequence += 1
                store.reachDeadline(record, sequence: sequence, time: time)
            }
            // A status never moves back, and a terminal one is final.
            for (key, status) in before {
                guard let now = store[key]?.status else { continue }
                #expect(now.rank >= status.rank)
                if status.isTerminal { #expect(now == status) }
            }
            let awaited = Set(store.table.tasks.values.filter { $0.expectation != nil && !$0.isTerminal }.map(\.key))
            #expect(store.table.awaited == awaited)
            if index == steps.count / 2 {
                // The checkpoint's marker record takes the next sequence: wait for it, as the
                // daemon's recorder does, before journaling more.
                // Encoded in small pieces, as the daemon's checkpoint thread does in large ones.
                writer.checkpoint(covering: sequence) {
                    [snapshot = store.table.snapshot] (sink: inout Checkpoint.Sink) throws(SyscallError) in
                    try snapshot.encode(pieceSize: 100) { (piece) throws(SyscallError) in try sink.append(piece) }
                }
                sequence = try Self.checkpointRecord(writer)
                store.advance(to: sequence)
            }
        }
        writer.close()
        for (id, waiter) in waiters {
            let ended = store[TaskKey(provider: "freepik", id: id)]?.isTerminal == true
            #expect(waiter.woken == (ended ? 1 : 0), "task \(id)")
        }
        let replayed = try JournalReplay.open(directory).table
        #expect(replayed == store.table)
    }
}
