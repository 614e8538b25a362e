import TaskhookCore
import Testing

@testable import TaskhookState

@Suite struct PackedTasksTests {
    static func task(_ id: String, provider: String = "freepik", status: TaskStatus = .completed, updated: Int64 = 5)
        -> TrackedTask
    {
        TrackedTask(
            id: id, provider: provider, status: status, results: status == .completed ? ["https://cdn/\(id).mp4"] : [],
            error: status == .failed ? "no" : nil, firstSeen: 1, updated: updated,
            reports: [
                .init(sequence: 1, status: .inProgress, time: 1, applied: true, deliveryID: nil),
                .init(
                    sequence: 9, status: status, time: updated, applied: true, deliveryID: "msg-\(id)",
                    source: .observation),
            ], externalID: id.hasPrefix("k") ? "ext-\(id)" : nil,
            expectation: id.hasPrefix("e")
                ? Expectation(
                    endpoint: "fal/kling", statusURL: "https://q/\(id)", deadline: 99,
                    labels: [.init(name: "a", value: "b")],
                    registration: "r", registered: 2) : nil)
    }

    @Test func aPackedTaskUnpacksToTheSameTaskAndReadsItsHeaderInPlace() {
        for original in [
            Self.task("t-1"), Self.task("k-ü✓", provider: "kling", status: .failed),
            Self.task("e-1", status: .inProgress), Self.task("", provider: "x", status: .created),
        ] {
            let packed = PackedTask(original)
            #expect(packed.task == original)
            #expect(
                packed.key == original.key && packed.status == original.status && packed.updated == original.updated)
            #expect(packed.lastHeard == original.lastHeard && packed.lastSequence == 9)
            #expect(packed.isAwaited == original.isAwaited)
            #expect(
                packed == PackedTask(probe: original.key)
                    && packed.hashValue == PackedTask(probe: original.key).hashValue)
        }
        // The same id under another provider, or a provider/id split elsewhere, is another key.
        #expect(
            PackedTask(probe: TaskKey(provider: "ab", id: "c")) != PackedTask(probe: TaskKey(provider: "a", id: "bc")))
        #expect(
            PackedTask(probe: TaskKey(provider: "fal", id: "1"))
                != PackedTask(probe: TaskKey(provider: "kling", id: "1")))
    }

    @Test func appliedReportsInARangeAreReadInPlaceAsTheUnpackedTaskHasThem() {
        var original = Self.task("k-1", provider: "kling", status: .failed)  // results, error, external id
        original.reports += [
            .init(sequence: 12, status: .failed, time: 7, applied: false, deliveryID: "late"),
            .init(sequence: 15, status: .failed, time: 8, applied: true, deliveryID: nil, source: .observation),
        ]
        original.results = ["https://cdn/a.mp4", "https://cdn/b.mp4"]
        let packed = PackedTask(original)
        for range: ClosedRange<UInt64> in [0...100, 2...12, 9...9, 13...14, 16...20, 1...1] {
            var read: [(UInt64, Int)] = []
            packed.forEachAppliedReport(in: range) { read.append(($0, $1)) }
            let expected = original.reports.enumerated().filter {
                $0.element.applied && range.contains($0.element.sequence)
            }
            #expect(read.map(\.0) == expected.map(\.element.sequence), "in \(range)")
            #expect(read.map(\.1) == expected.map(\.offset), "in \(range)")
        }
        for expected in [Self.task("e-1", status: .inProgress), Self.task("", provider: "x", status: .created)] {
            var read: [UInt64] = []
            PackedTask(expected).forEachAppliedReport(in: 0...UInt64.max) { sequence, _ in read.append(sequence) }
            #expect(read == [1, 9])
        }
    }

    @Test func itStoresReplacesAndRemovesLikeADictionaryAndKeepsTheCount() {
        var packed = PackedTasks()
        var plain: [TaskKey: TrackedTask] = [:]
        var rng = SystemRandomNumberGenerator()
        for step in 0..<20_000 {
            let task = Self.task("t\(Int.random(in: 0..<3000, using: &rng))", updated: Int64(step))
            if step % 5 == 0 {
                packed.remove(task.key)
                plain[task.key] = nil
            } else {
                packed.update(with: PackedTask(task))
                plain[task.key] = task
            }
        }
        #expect(packed.count == plain.count)
        #expect(Dictionary(uniqueKeysWithValues: zip(packed.keys, packed.values)) == plain)
        for (key, task) in plain { #expect(packed[key] == task) }
    }

    @Test func aCopyIsASnapshotThatLaterChangesDoNotReach() {
        var table = PackedTasks()
        for i in 0..<5000 { table.update(with: PackedTask(Self.task("k\(i)"))) }
        let snapshot = table
        for i in 0..<5000 where i % 2 == 0 { table.update(with: PackedTask(Self.task("k\(i)", status: .failed))) }
        table.update(with: PackedTask(Self.task("new")))
        #expect(snapshot.count == 5000 && table.count == 5001)
        let key = TaskKey(provider: "freepik", id: "k2")
        #expect(snapshot[key]?.status == .completed && table[key]?.status == .failed)
        #expect(snapshot[TaskKey(provider: "freepik", id: "new")] == nil)
        #expect(snapshot != table)
    }

    @Test func removingInOneShardTouchesOnlyThatShardsTasks() {
        var table = PackedTasks()
        for i in 0..<4096 { table.update(with: PackedTask(Self.task("k\(i)"))) }
        let key = TaskKey(provider: "freepik", id: "k7")
        let shard = PackedTasks.shard(of: key)
        let inShard = table.shard(shard).count
        let removed = table.removeAll(inShard: shard) { $0.updated >= 0 }
        #expect(removed.count == inShard && inShard > 0)
        #expect(table.count == 4096 - inShard)
        #expect(table[key] == nil)
        #expect(table.removeAll(inShard: shard) { _ in true }.isEmpty)
    }

    @Test func anEmptyTableHasEveryShardEmptyAndEqualsAnother() {
        let a = PackedTasks()
        var b = PackedTasks()
        b.reserveCapacity(10_000)
        #expect(a.isEmpty && a == b)
        #expect((0..<PackedTasks.shardCount).allSatisfy { a.shard($0).isEmpty })
    }
}

extension PackedTasksTests {
    /// A million tasks pay for any room to spare a million times.
    @Test func aPackedTaskHoldsNoRoomToSpare() {
        for task in [Self.task("t-1"), Self.task("e-\(String(repeating: "x", count: 300))", status: .inProgress)] {
            let bytes = PackedTask(task).bytes
            // malloc may hand out a block up to 47 bytes larger than asked (16-byte steps, and a
            // free block it does not split); a writer's doubling leaves about as much as it holds.
            #expect(bytes.capacity - bytes.count < 48)
        }
    }
}

extension PackedTasksTests {
    /// Every shape a task takes is packed into a buffer of its own size, written once.
    @Test func aPackedTaskIsWrittenAtTheSizeItWasCountedAt() {
        let shapes = [
            Self.task("t-1"), Self.task("k-2", provider: "kling", status: .failed),
            Self.task("e-3", status: .inProgress),
            TrackedTask(
                id: "bare", provider: "fal", status: .created, results: [], error: nil, firstSeen: 0, updated: 0,
                reports: []),
        ]
        for task in shapes {
            let bytes = PackedTask(task).bytes
            if task.expectation == nil {
                #expect(PackedTask.size(task) == bytes.count, "\(task.id)")
            } else {
                #expect(PackedTask.size(task) >= bytes.count, "\(task.id)")
            }
            #expect(bytes.capacity - bytes.count < 48, "\(task.id): \(bytes.count) bytes in \(bytes.capacity)")
            #expect(PackedTask(task).task == task)
        }
    }
}

extension PackedTasksTests {
    /// Keys are compared eight bytes at a time while equal, then byte by byte: whatever their
    /// common prefix, the order is that of their bytes (id, then provider), in place and in a
    /// buffer of copied keys alike, and equal keys are equal tasks.
    @Test func keysOrderAsTheirBytesWhateverTheirCommonPrefix() {
        let prefix = "1764633172-123456789-"  // bench/callback.lua's ids share 21 bytes
        var ids = ["", "a", "1764633", "17646331", "176463317", prefix, prefix + "1", prefix + "10", prefix + "2"]
        ids += ["\(prefix)99999", "\(prefix)99998", String(prefix.dropLast()) + "~", "b" + prefix, "é" + prefix]
        let tasks = ids.flatMap { id in
            ["fal", "freepik", "freepik-longer-name"].map { Self.task(id.isEmpty ? "-" : id, provider: $0) }
        }
        let packed = tasks.map(PackedTask.init)
        var keys: [UInt8] = []
        let places = packed.map { $0.appendKey(to: &keys) }
        for (i, a) in tasks.enumerated() {
            for (j, b) in tasks.enumerated() {
                let expected =
                    a.id.utf8.elementsEqual(b.id.utf8)
                    ? a.provider.utf8.lexicographicallyPrecedes(b.provider.utf8)
                    : a.id.utf8.lexicographicallyPrecedes(b.id.utf8)
                #expect(PackedTask.keyPrecedes(packed[i], packed[j]) == expected, "\(a.key) < \(b.key)")
                let inBuffer = keys.withUnsafeBufferPointer { PackedTask.keyPrecedes(places[i], places[j], in: $0) }
                #expect(inBuffer == expected, "\(a.key) < \(b.key) in a buffer")
                #expect((packed[i] == packed[j]) == (a.key == b.key), "\(a.key) == \(b.key)")
            }
        }
    }
}
