import TaskhookCore
import Testing

@testable import TaskhookState

@Suite struct ShardedDictionaryTests {
    @Test func itStoresUpdatesAndRemovesLikeADictionaryAndKeepsTheCount() {
        var sharded = ShardedDictionary<String, Int>()
        var plain: [String: Int] = [:]
        var rng = SystemRandomNumberGenerator()
        for step in 0..<20_000 {
            let key = "k\(Int.random(in: 0..<3000, using: &rng))"
            if step % 5 == 0 {
                sharded[key] = nil
                plain[key] = nil
            } else {
                sharded[key] = step
                plain[key] = step
            }
        }
        #expect(sharded.count == plain.count)
        #expect(Dictionary(uniqueKeysWithValues: zip(sharded.keys, sharded.values)) == plain)
        for (key, value) in plain { #expect(sharded[key] == value) }
    }

    @Test func aCopyIsASnapshotThatLaterChangesDoNotReach() {
        var table = ShardedDictionary<String, Int>()
        for i in 0..<5000 { table["k\(i)"] = i }
        let snapshot = table
        for i in 0..<5000 where i % 2 == 0 { table["k\(i)"] = -i }
        table["new"] = 1
        #expect(snapshot.count == 5000 && table.count == 5001)
        #expect(snapshot["k2"] == 2 && table["k2"] == -2)
        #expect(snapshot["new"] == nil)
        #expect(snapshot != table)
    }

    @Test func removingInOneShardTouchesOnlyThatShardsEntries() {
        var table = ShardedDictionary<String, Int>()
        for i in 0..<4096 { table["k\(i)"] = i }
        let shard = ShardedDictionary<String, Int>.shard(of: "k7")
        let inShard = table.shard(shard).count
        let removed = table.removeAll(inShard: shard) { $0 >= 0 }
        #expect(removed.count == inShard && inShard > 0)
        #expect(table.count == 4096 - inShard)
        #expect(table["k7"] == nil)
        #expect(table.removeAll(inShard: shard) { _ in true }.isEmpty)
    }

    @Test func anEmptyTableHasEveryShardEmptyAndEqualsAnother() {
        let a = ShardedDictionary<String, Int>()
        var b = ShardedDictionary<String, Int>()
        b.reserveCapacity(10_000)
        #expect(a.isEmpty && a == b)
        #expect((0..<ShardedDictionary<String, Int>.shardCount).allSatisfy { a.shard($0).isEmpty })
    }
}
