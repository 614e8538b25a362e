import TaskhookCore

/// The table's tasks, packed (`PackedTask`), split by key hash into a fixed number of shards,
/// each its own copy-on-write `Set`, so that no single change costs time proportional to the
/// whole:
///
/// - **A snapshot is O(shards).** Copying the value copies one array of shard references. The
///   checkpoint thread encodes such a copy while the loop goes on changing its own: the first
///   change to a shard after a snapshot copies that shard alone (1/4096 of the table), never the
///   whole table, and each shard at most once per snapshot. A shard's copy is a copy of
///   references, one per task.
/// - **Growth is by shard.** A `Set` doubles by rehashing every element at once (tens of
///   milliseconds at a million tasks); a shard doubles with 1/4096 of them.
/// - **Sweeps can go a slice of shards at a time** (`removeAll(inShard:where:)`).
///
/// Shards are chosen by the key's hash, which Swift seeds per process: the shard of a key is
/// stable within a process, and nothing here is written to disk in shard order that matters.
public struct PackedTasks: Sendable {
    /// 4096: at a million tasks a shard holds about 250. The copy a snapshot forces on the
    /// loop's first change to a shard retains each of its tasks, a cache miss each; right after
    /// a snapshot every request of a batch touches a shard not yet copied, so a batch of 64
    /// paid 64 copies: with 1024 shards of a thousand tasks that was iterations of 5 to 16 ms
    /// (bench/table.sh). An empty shard costs no allocation (Swift's empty sets share one
    /// storage), so an idle daemon pays 32 KiB here.
    public static var shardCount: Int { 4096 }

    private var shards: [Set<PackedTask>]
    public private(set) var count = 0

    public init() {
        shards = Array(repeating: [], count: Self.shardCount)
    }

    @inline(__always)
    static func shard(of task: PackedTask) -> Int { task.keyHash & (shardCount - 1) }

    public static func shard(of key: TaskKey) -> Int { PackedTask.keyHash(key) & (shardCount - 1) }

    public var isEmpty: Bool { count == 0 }

    public subscript(key: TaskKey) -> TrackedTask? { packed(key)?.task }

    /// The packed task stored under `key`.
    func packed(_ key: TaskKey) -> PackedTask? {
        let probe = PackedTask(probe: key)
        let shard = shards[Self.shard(of: probe)]
        return shard.firstIndex(of: probe).map { shard[$0] }
    }

    /// The task stored now under the key of `task` (which may be an older version of it).
    func current(_ task: PackedTask) -> PackedTask? {
        let shard = shards[Self.shard(of: task)]
        return shard.firstIndex(of: task).map { shard[$0] }
    }

    /// Stores `task` under its key; returns the packed task it replaced, nil when the key is new.
    @discardableResult
    mutating func update(with task: PackedTask) -> PackedTask? {
        let old = shards[Self.shard(of: task)].update(with: task)
        if old == nil { count += 1 }
        return old
    }

    /// Stores `task` when its key is new, hashing it once; else leaves the table as it is and
    /// returns the task stored under that key.
    mutating func insertNew(_ task: PackedTask) -> PackedTask? {
        let (inserted, stored) = shards[Self.shard(of: task)].insert(task)
        guard inserted else { return stored }
        count += 1
        return nil
    }

    /// Removes the task under `key`; returns it.
    @discardableResult
    mutating func remove(_ key: TaskKey) -> PackedTask? {
        let probe = PackedTask(probe: key)
        let removed = shards[Self.shard(of: probe)].remove(probe)
        if removed != nil { count -= 1 }
        return removed
    }

    /// One shard's tasks, for work done a shard at a time.
    public func shard(_ index: Int) -> Shard { Shard(tasks: shards[index]) }

    /// One shard, read-only: its tasks unpacked as they are read.
    public struct Shard: Sendable {
        let tasks: Set<PackedTask>
        public var count: Int { tasks.count }
        public var isEmpty: Bool { tasks.isEmpty }
        public var values: LazyMapSequence<Set<PackedTask>, TrackedTask> { tasks.lazy.map(\.task) }
    }

    /// Removes the tasks of one shard that match, read in place; returns them, so a caller keeping
    /// counts and indexes can adjust them.
    mutating func removeAll(inShard index: Int, where matches: (PackedTask) -> Bool) -> [PackedTask] {
        // Looking first leaves the shard untouched (not copied after a snapshot) when none match.
        guard shards[index].contains(where: matches) else { return [] }
        let removed = shards[index].filter(matches)
        shards[index].subtract(removed)
        count -= removed.count
        return Array(removed)
    }

    /// Room for `more` tasks spread evenly, so that loading a known number of tasks does not
    /// rehash most shards along the way. No slack on top: a `Set` rounds its buckets up to a
    /// power of two, so a margin can double every shard's buckets at once; a shard that gets more
    /// than its share rehashes alone, 1/4096 of the table.
    public mutating func reserveCapacity(_ more: Int) {
        let perShard = (count + more + Self.shardCount - 1) / Self.shardCount
        for index in shards.indices where shards[index].capacity < perShard {
            shards[index].reserveCapacity(perShard)
        }
    }

    /// Every packed task, shard by shard (an order of no meaning).
    var packed: FlattenSequence<[Set<PackedTask>]> { shards.joined() }

    /// Every task, shard by shard (an order of no meaning), unpacked as it is read.
    public var values: LazyMapSequence<FlattenSequence<[Set<PackedTask>]>, TrackedTask> {
        shards.joined().lazy.map(\.task)
    }

    /// Every key, shard by shard.
    public var keys: LazyMapSequence<FlattenSequence<[Set<PackedTask>]>, TaskKey> {
        shards.joined().lazy.map(\.key)
    }
}

extension PackedTasks: Equatable {
    /// The same tasks with the same contents (a packed task's own `==` compares keys only).
    public static func == (a: Self, b: Self) -> Bool {
        guard a.count == b.count else { return false }
        // Within one process a key's shard is the same in both.
        return zip(a.shards, b.shards).allSatisfy { mine, theirs in
            mine.count == theirs.count
                && mine.allSatisfy { task in theirs.firstIndex(of: task).map { theirs[$0].bytes == task.bytes } ?? false
                }
        }
    }
}
