/// A dictionary split by key hash into a fixed number of shards, each its own copy-on-write
/// `Dictionary`, so that no single change costs time proportional to the whole:
///
/// - **A snapshot is O(shards).** Copying the value copies one array of shard references. The
///   checkpoint thread encodes such a copy while the loop goes on changing its own: the first
///   change to a shard after a snapshot copies that shard alone (1/1024 of the table), never the
///   whole table, and each shard at most once per snapshot.
/// - **Growth is by shard.** A `Dictionary` doubles by rehashing every entry at once (tens of
///   milliseconds at a million tasks); a shard doubles with 1/1024 of them.
/// - **Sweeps can go a slice of shards at a time** (`removeAll(inShard:where:)`).
///
/// Shards are chosen by `hashValue`, which Swift seeds per process: the shard of a key is
/// stable within a process, and nothing here is written to disk in shard order that matters.
public struct ShardedDictionary<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    /// 1024: at a million tasks a shard holds about a thousand, so the copy a snapshot forces
    /// on the loop's first change to it is tens of microseconds; an empty shard costs no
    /// allocation (Swift's empty dictionaries share one storage), so an idle daemon pays 8 KiB.
    public static var shardCount: Int { 1024 }

    private var shards: [[Key: Value]]
    public private(set) var count = 0

    public init() {
        shards = Array(repeating: [:], count: Self.shardCount)
    }

    @inline(__always)
    public static func shard(of key: Key) -> Int { key.hashValue & (shardCount - 1) }

    public var isEmpty: Bool { count == 0 }

    public subscript(key: Key) -> Value? {
        get { shards[Self.shard(of: key)][key] }
        set {
            let shard = Self.shard(of: key)
            if let newValue {
                if shards[shard].updateValue(newValue, forKey: key) == nil { count += 1 }
            } else if shards[shard].removeValue(forKey: key) != nil {
                count -= 1
            }
        }
    }

    /// Sets the value for `key`; returns the one it replaced, nil when the key is new.
    @discardableResult
    public mutating func updateValue(_ value: Value, forKey key: Key) -> Value? {
        let old = shards[Self.shard(of: key)].updateValue(value, forKey: key)
        if old == nil { count += 1 }
        return old
    }

    /// One shard's entries, for work done a shard at a time.
    public func shard(_ index: Int) -> [Key: Value] { shards[index] }

    /// Removes the entries of one shard that match; returns them, so a caller keeping counts
    /// can adjust them.
    public mutating func removeAll(inShard index: Int, where matches: (Value) -> Bool) -> [Value] {
        // Looking first leaves the shard untouched (not copied after a snapshot) when none match.
        guard shards[index].values.contains(where: matches) else { return [] }
        var removed: [Value] = []
        shards[index] = shards[index].filter { entry in
            guard matches(entry.value) else { return true }
            removed.append(entry.value)
            return false
        }
        count -= removed.count
        return removed
    }

    /// Room for `more` entries spread evenly, so that loading a known number of entries does
    /// not rehash most shards along the way. No slack on top: a `Dictionary` rounds its buckets
    /// up to a power of two, so a margin can double every shard's buckets at once; a shard that
    /// gets more than its share rehashes alone, a thousandth of the table.
    public mutating func reserveCapacity(_ more: Int) {
        let perShard = (count + more + Self.shardCount - 1) / Self.shardCount
        for index in shards.indices where shards[index].capacity < perShard {
            shards[index].reserveCapacity(perShard)
        }
    }

    /// Every value, shard by shard (an order of no meaning).
    public var values: LazySequence<FlattenSequence<LazyMapSequence<[[Key: Value]], Dictionary<Key, Value>.Values>>> {
        shards.lazy.map(\.values).joined()
    }

    /// Every key, shard by shard.
    public var keys: LazySequence<FlattenSequence<LazyMapSequence<[[Key: Value]], Dictionary<Key, Value>.Keys>>> {
        shards.lazy.map(\.keys).joined()
    }
}

extension ShardedDictionary: Equatable where Value: Equatable {
    public static func == (a: Self, b: Self) -> Bool {
        // Within one process a key's shard is the same in both, so shard-wise equality is equality.
        a.count == b.count && a.shards == b.shards
    }
}
