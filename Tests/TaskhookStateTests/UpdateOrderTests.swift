import TaskhookCore
import Testing

@testable import TaskhookState

@Suite struct UpdateOrderTests {
    /// What a listing must show: the whole table filtered and sorted, as `/v1/tasks` did per page.
    static func expected(_ table: TaskTable, since: Int64 = .min, after cursor: (updated: Int64, id: String)? = nil)
        -> [TaskKey]
    {
        table.tasks.values.filter { task in
            task.updated >= since && (cursor.map { (task.updated, task.id) > ($0.updated, $0.id) } ?? true)
        }.sorted { ($0.updated, $0.id, $0.provider) < ($1.updated, $1.id, $1.provider) }.map(\.key)
    }

    static func everything(_ table: TaskTable) -> [TaskKey] {
        table.order.page(since: .min, after: nil, limit: .max) { _ in true }.tasks.map(\.key)
    }

    /// Tasks created, moved on (at times mostly rising, some late), forgotten, and the table read
    /// back from a checkpoint: the order always lists each task once, where a full sort puts it.
    @Test func theOrderFollowsEveryChangeToTheTable() throws {
        var numbers = FixedNumbers(seed: 14)
        func next(_ bound: Int) -> Int { numbers.next(below: bound) }
        var table = TaskTable()
        let statuses: [TaskStatus] = [.created, .inProgress, .completed, .failed]
        for step in 1...3_000 {
            let event = TaskEvent(
                taskID: "t\(next(400))", provider: next(2) == 0 ? "fal" : "freepik", status: statuses[next(4)])
            table.apply(event, deliveryID: "d\(step)", sequence: UInt64(step), time: Int64(step * 10 - next(300)))
            if step % 700 == 0 { table.forgetTasks(lastHeardBefore: Int64(step * 10 - 2_000)) }
            if step % 500 == 0 {
                #expect(Self.everything(table) == Self.expected(table), "after step \(step)")
                #expect(table.order.count == table.count)
            }
        }
        let read = try TaskTable(decoding: table.encoded())
        #expect(Self.everything(read) == Self.expected(table))
        #expect(read == table)
    }

    @Test func pagesFromACursorAreWhatAFullSortGivesAndStopAfterTheirLimit() {
        var table = TaskTable()
        for index in 0..<500 {
            let event = TaskEvent(
                taskID: "t\(index % 250)", provider: index < 250 ? "fal" : "freepik", status: .created)
            table.apply(event, deliveryID: nil, sequence: UInt64(index + 1), time: Int64(1_000 + index % 37))
        }
        // Pages of 7 after each other's last (updated, id): what the listing's cursor does.
        var cursor: (updated: Int64, id: String)?
        var paged: [TaskKey] = []
        var calls = 0
        while true {
            let (tasks, more) = table.order.page(since: 1_010, after: cursor, limit: 7) { _ in
                calls += 1
                return true
            }
            let keys = tasks.map(\.key)
            #expect(keys == Array(Self.expected(table, since: 1_010, after: cursor).prefix(7)))
            paged += keys
            guard more, let last = keys.last.flatMap({ table[$0] }) else { break }
            cursor = (last.updated, last.id)
        }
        #expect(paged == Self.expected(table, since: 1_010))
        // Unfiltered, a page asks about its tasks and one more, not about the whole table.
        #expect(calls <= (paged.count / 7 + 1) * 8)

        let endingIn7 = table.order.page(since: .min, after: nil, limit: 10) { $0.key.id.hasSuffix("7") }
        #expect(
            endingIn7.tasks.map(\.key) == Array(Self.expected(table).filter { $0.id.hasSuffix("7") }.prefix(10)))
        #expect(endingIn7.more)
    }

    @Test func aWalkFromAnyCursorIsTheFullSortAfterItAndStopsWhereItsReaderStops() {
        var table = TaskTable()
        for index in 0..<300 {
            let event = TaskEvent(taskID: "w\(index % 120)", provider: "freepik", status: .inProgress)
            table.apply(event, deliveryID: nil, sequence: UInt64(index + 1), time: Int64(2_000 + (index * 7) % 53))
        }
        let all = Self.expected(table)
        #expect(table.order.walk(since: .min, after: nil).map(\.key) == all)
        for position in stride(from: 0, to: all.count, by: 9) {
            let task = table[all[position]]!
            let cursor = (updated: task.updated, id: task.id)
            #expect(
                table.order.walk(since: 2_010, after: cursor).map(\.key)
                    == Self.expected(table, since: 2_010, after: cursor))
        }
        var walk = table.order.walk(since: .min, after: nil)
        #expect([walk.next()?.key, walk.next()?.key] == Array(all.prefix(2)))
    }
}

@Suite struct UpdateOrderBlockTests {
    /// Thousands of tasks, so that blocks fill, split, empty and join: created at rising times,
    /// updated (mostly to the newest time, some late), many forgotten. The order is always the
    /// full sort, and every block but the last is between a quarter full and full.
    @Test func blocksSplitAndJoinAndTheOrderStaysTheFullSort() throws {
        var numbers = FixedNumbers(seed: 512)
        func next(_ bound: Int) -> Int { numbers.next(below: bound) }
        var table = TaskTable()
        let capacity = UpdateOrder.blockCapacity
        let statuses: [TaskStatus] = [.created, .inProgress, .completed]
        func check(_ label: String) {
            #expect(UpdateOrderTests.everything(table) == UpdateOrderTests.expected(table), "\(label)")
            #expect(table.order.count == table.count, "\(label)")
            let counts = table.order.blocks.map(\.count)
            #expect(counts.allSatisfy { $0 <= capacity }, "\(label): \(counts)")
            #expect(counts.dropLast().allSatisfy { $0 >= capacity / 4 }, "\(label): \(counts)")
        }
        for step in 1...20_000 {
            // A few thousand live tasks; one update in ten is late (up to 5 s before now).
            let time = Int64(step * 10 - (next(10) == 0 ? next(5_000) : 0))
            let event = TaskEvent(taskID: "b\(next(6_000))", provider: "fal", status: statuses[next(3)])
            table.apply(event, deliveryID: "d\(step)", sequence: UInt64(step), time: time)
            if step % 5_000 == 0 {
                check("before forgetting, step \(step)")
                #expect(table.forgetTasks(lastHeardBefore: Int64(step * 10 - 30_000)) > 0)
                check("after forgetting, step \(step)")
            }
        }
        #expect(table.order.blocks.count > 4)
        // Forgetting all but a few joins the blocks back into one or two.
        table.forgetTasks(lastHeardBefore: 200_000 - 100)
        check("after forgetting nearly all")
        #expect(table.order.blocks.count <= 2)
        let read = try TaskTable(decoding: table.encoded())
        #expect(read == table)
        #expect(read.order.blocks.map(\.count) == [table.count])
    }

    /// A replay of one callback a task, in journal order: times rise, several tasks share each
    /// and come in no order of their ids. The order is kept all along (no rebuild at the end),
    /// is the full sort at every point, and its blocks are full but for the last.
    @Test func aReplayThatOnlyAddsTasksKeepsTheOrderWithFullBlocks() {
        var table = TaskTable()
        table.beginBulkLoad()
        let capacity = UpdateOrder.blockCapacity
        for step in 0..<5_000 {
            // Every id once (7919 is prime to 100,003), in no order of their bytes.
            let event = TaskEvent(taskID: "r\(step * 7_919 % 100_003)", provider: "fal", status: .completed)
            table.apply(event, deliveryID: nil, sequence: UInt64(step + 1), time: Int64(1_000 + step / 5))
            if step % 1_000 == 999 {
                #expect(!table.order.isSuspended, "step \(step)")
                #expect(UpdateOrderTests.everything(table) == UpdateOrderTests.expected(table), "step \(step)")
            }
        }
        let counts = table.order.blocks.map(\.count)
        // A block is cut where a late-sorting id went in, never more than 4 places from its end.
        #expect(counts.dropLast().allSatisfy { $0 >= capacity - 4 }, "\(counts)")
        #expect(counts.count <= 5_000 / (capacity - 4) + 1)
        table.endBulkLoad()
        #expect(!table.order.isSuspended)
        #expect(UpdateOrderTests.everything(table) == UpdateOrderTests.expected(table))
        #expect(table.order.count == table.count)
    }

    /// During a replay, a change the last block cannot take (a task updated again, one placed
    /// before the last block, one forgotten) drops the order, and the end rebuilds it: the full
    /// sort either way, and kept live again after.
    @Test(arguments: ["updated again", "late", "forgotten"])
    func aReplayThatChangesMoreRebuildsTheOrderAtTheEnd(change: String) {
        var table = TaskTable()
        table.beginBulkLoad()
        for index in 0..<1_200 {
            let event = TaskEvent(taskID: "s\(index)", provider: "fal", status: .inProgress)
            table.apply(event, deliveryID: nil, sequence: UInt64(index + 1), time: Int64(10 * index))
        }
        #expect(!table.order.isSuspended)
        #expect(table.forgetTasks(lastHeardBefore: 0) == 0)  // forgets nothing: still kept
        #expect(!table.order.isSuspended)
        switch change {
        case "updated again":
            let event = TaskEvent(taskID: "s7", provider: "fal", status: .completed)
            table.apply(event, deliveryID: nil, sequence: 1_201, time: 20_000)
        case "late":
            let event = TaskEvent(taskID: "late", provider: "fal", status: .completed)
            table.apply(event, deliveryID: nil, sequence: 1_201, time: 5)
        default:
            #expect(table.forgetTasks(lastHeardBefore: 100) == 10)
        }
        #expect(table.order.isSuspended)
        let event = TaskEvent(taskID: "after", provider: "fal", status: .completed)
        table.apply(event, deliveryID: nil, sequence: 1_202, time: 30_000)
        table.endBulkLoad()
        #expect(!table.order.isSuspended)
        #expect(UpdateOrderTests.everything(table) == UpdateOrderTests.expected(table))
        #expect(table.order.count == table.count)
        // Kept as it is changed from then on.
        let next = TaskEvent(taskID: "s8", provider: "fal", status: .completed)
        table.apply(next, deliveryID: nil, sequence: 1_203, time: 30_000)
        #expect(UpdateOrderTests.everything(table) == UpdateOrderTests.expected(table))
    }

    /// A checkpoint holds the tasks in update order, so reading it keeps the order as it goes
    /// (no rebuild); one holding them in the shards' order, as checkpoints were written before,
    /// is read back to the same table, the order rebuilt.
    @Test func aCheckpointIsReadBackInItsOrderWithoutARebuild() throws {
        var numbers = FixedNumbers(seed: 9)
        var table = TaskTable()
        for step in 1...3_000 {
            let event = TaskEvent(taskID: "k\(numbers.next(below: 2_000))", provider: "fal", status: .inProgress)
            table.apply(
                event, deliveryID: "d\(step)", sequence: UInt64(step), time: Int64(step - numbers.next(below: 50)))
        }
        let inOrder = table.snapshot.encoded()
        var read = try inOrder.withUnsafeBytes { try TaskTable(decoding: $0, inBulk: true) }
        #expect(!read.order.isSuspended)
        read.endBulkLoad()
        #expect(read == table)
        #expect(UpdateOrderTests.everything(read) == UpdateOrderTests.expected(table))

        let shardOrder = TaskTable.Snapshot(
            tasks: table.tasks, order: UpdateOrder(), registrations: [:], lastSequence: table.lastSequence
        ).encoded()
        #expect(shardOrder != inOrder)
        var old = try shardOrder.withUnsafeBytes { try TaskTable(decoding: $0, inBulk: true) }
        #expect(old.order.isSuspended)
        old.endBulkLoad()
        #expect(old == table)
        #expect(UpdateOrderTests.everything(old) == UpdateOrderTests.expected(table))
    }

    /// A walk from every position of a table of several blocks is the full sort from there.
    @Test func aWalkStartsInTheRightBlockAndCrossesIntoTheNext() throws {
        var table = TaskTable()
        for index in 0..<1_500 {
            let event = TaskEvent(taskID: "c\(index)", provider: "fal", status: .created)
            table.apply(event, deliveryID: nil, sequence: UInt64(index + 1), time: Int64(index / 3))
        }
        #expect(table.order.blocks.count >= 3)
        let all = UpdateOrderTests.expected(table)
        for position in stride(from: 0, to: all.count, by: 37) + [510, 511, 512, 513, 1_023, 1_024, 1_499] {
            let task = table[all[position]]!
            let cursor = (updated: task.updated, id: task.id)
            #expect(
                Array(table.order.walk(since: .min, after: cursor).map(\.key)) == Array(all[(position + 1)...]),
                "after \(position)")
        }
        #expect(Array(table.order.walk(since: 499, after: nil).map(\.key)) == Array(all[1_497...]))
        #expect(Array(table.order.walk(since: 500, after: nil)).isEmpty)
        // Rebuilt from a checkpoint, times shared by three tasks each are ordered by key.
        let read = try TaskTable(decoding: table.encoded())
        #expect(UpdateOrderTests.everything(read) == all)
        #expect(read == table)
    }
}

/// A fixed sequence of numbers (an LCG): a failure shows again on the next run.
struct FixedNumbers {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next(below bound: Int) -> Int {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Int((state >> 33) % UInt64(bound))
    }
}
