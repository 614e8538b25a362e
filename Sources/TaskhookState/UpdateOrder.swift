import TaskhookCore
import TaskhookPosix

/// The table's tasks in the order `/v1/tasks` pages through them: last update, then id, then
/// provider (ids and providers compared as bytes). Kept as tasks change, so a page costs a walk from its cursor, not a filter and a
/// sort of the whole table for every page (and every pipelined request).
///
/// Sharded like the table (a task's entry lives in its key's shard), for the same reason: a
/// checkpoint's snapshot shares every shard, and a change after it copies one shard's entries,
/// never all of them. Each shard's entries are sorted; a page merges the shards from the cursor.
/// Updates come mostly at the end (the newest time), where an entry is appended.
public struct UpdateOrder: Sendable, Equatable {
    /// A task's entry is its update time and the packed task itself (a reference to the
    /// table's own bytes, not a copy of its key), replaced whenever the table replaces the task.
    /// The time is kept here too: most comparisons end at it, and reading it here spares a
    /// cache miss into the task's bytes for each.
    struct Entry: Sendable, Equatable, Comparable {
        var updated: Int64
        var task: PackedTask

        init(task: PackedTask) {
            updated = task.updated
            self.task = task
        }

        static func == (a: Entry, b: Entry) -> Bool { a.updated == b.updated && a.task == b.task }

        static func < (a: Entry, b: Entry) -> Bool {
            a.updated != b.updated ? a.updated < b.updated : PackedTask.keyPrecedes(a.task, b.task)
        }
    }

    private var shards: [[Entry]]
    /// While the table is loaded in bulk (a checkpoint read, a replay), the order is not kept but
    /// rebuilt once at the end from the table (`rebuild(from:)`): keeping it costs each of a
    /// million changes a cache miss or two into a shard's array, and a checkpoint's tasks come in
    /// no order at all.
    private var suspended = false

    init() { shards = Array(repeating: [], count: TaskTable.shardCount) }

    public var count: Int { shards.reduce(0) { $0 + $1.count } }

    mutating func insert(_ task: PackedTask) {
        let entry = Entry(task: task)
        guard !suspended else { return }
        let shard = PackedTasks.shard(of: task)
        if shards[shard].last.map({ $0 < entry }) ?? true {
            shards[shard].append(entry)
        } else {
            shards[shard].insert(entry, at: Self.firstIndex(in: shards[shard]) { !($0 < entry) })
        }
    }

    /// Removes the entry of `task` as it was stored (its update time decides where it is).
    mutating func remove(_ task: PackedTask) {
        guard !suspended else { return }
        guard let (shard, index) = position(of: task) else { return }
        shards[shard].remove(at: index)
    }

    /// Where the entry of `task`, as it was stored, is: its shard, and its place there found by
    /// its update time and key.
    private func position(of task: PackedTask) -> (shard: Int, index: Int)? {
        let entry = Entry(task: task)
        let shard = PackedTasks.shard(of: task)
        let index = Self.firstIndex(in: shards[shard]) { !($0 < entry) }
        guard index < shards[shard].count, shards[shard][index] == entry else { return nil }
        return (shard, index)
    }

    /// Puts `new` where `old`, the same task before a change, was: in place when its update
    /// time did not change, so that the entry never holds on to bytes the table dropped.
    mutating func replace(_ old: PackedTask, with new: PackedTask) {
        guard !suspended else { return }
        guard old.updated == new.updated else {
            remove(old)
            insert(new)
            return
        }
        guard let (shard, index) = position(of: old) else { return insert(new) }
        shards[shard][index] = Entry(task: new)
    }

    /// Removes the entries of one shard's tasks at once (a retention sweep of that shard).
    mutating func remove(_ tasks: Set<PackedTask>, inShard shard: Int) {
        guard !tasks.isEmpty, !suspended else { return }
        shards[shard].removeAll { tasks.contains($0.task) }
    }

    /// Stops keeping the order (and drops it) until `rebuild(from:)`.
    mutating func suspend() {
        suspended = true
        shards = Array(repeating: [], count: TaskTable.shardCount)
    }

    /// The order of `tasks`, built afresh: a shard of the order from the same shard of the table.
    ///
    /// A large table's upper half of the shards is built on a thread of its own meanwhile: an
    /// entry reads its task's update time, a cache miss for each of a million tasks, which two
    /// cores wait for in half the time (a tenth of a million-record replay, done after it).
    mutating func rebuild(from tasks: PackedTasks, inParallelFrom threshold: Int = rebuiltInParallel) {
        suspended = false
        let half = tasks.count >= threshold ? shards.count / 2 : shards.count
        let upper = UpperHalf(tasks, shards: half..<shards.count)
        for index in 0..<half { shards[index] = Self.entries(of: tasks.shard(index)) }
        for (index, entries) in zip(half..., upper.built()) { shards[index] = entries }
    }

    /// From how many tasks a rebuild takes a second thread (which costs about 0.1 ms to start).
    static let rebuiltInParallel = 50_000

    private static func entries(of shard: PackedTasks.Shard) -> [Entry] {
        var entries = shard.tasks.map(Entry.init)
        entries.sort()
        return entries
    }

    /// Shards of the order built on a thread of their own, or on the caller's when none starts.
    private final class UpperHalf: @unchecked Sendable {
        // @unchecked: `entries` is written by the thread alone, and read once it is joined.
        private var entries: [[Entry]] = []
        private var thread: OSThread?
        private let tasks: PackedTasks
        private let range: Range<Int>

        init(_ tasks: PackedTasks, shards range: Range<Int>) {
            self.tasks = tasks
            self.range = range
            guard !range.isEmpty else { return }
            let thread = OSThread { [self] in self.build() }
            do {
                try thread.start()
                self.thread = thread
            } catch {}  // built on the caller's thread, by `built()`
        }

        private func build() { entries = range.map { UpdateOrder.entries(of: tasks.shard($0)) } }

        /// The shards' entries in order, once built.
        func built() -> [[Entry]] {
            if let thread {
                thread.join()
                self.thread = nil  // it holds its body, which holds this
            } else if !range.isEmpty {
                build()
            }
            return entries
        }
    }

    /// The first index of a sorted shard whose entry is not before what `isAtOrAfter` looks for.
    private static func firstIndex(in entries: [Entry], where isAtOrAfter: (Entry) -> Bool) -> Int {
        var low = 0
        var high = entries.count
        while low < high {
            let middle = (low + high) / 2
            if isAtOrAfter(entries[middle]) { high = middle } else { low = middle + 1 }
        }
        return low
    }

    /// Up to `limit` tasks in order, from the first updated at or after `since` and (given a
    /// cursor) after `(updated, id)`, that `matches` (read in place); and whether another one
    /// matches.
    public func page(
        since: Int64, after cursor: (updated: Int64, id: String)?, limit: Int, matches: (PackedTask) -> Bool
    ) -> (tasks: [PackedTask], more: Bool) {
        var found: [PackedTask] = []
        for task in walk(since: since, after: cursor) where matches(task) {
            guard found.count < limit else { return (found, true) }
            found.append(task)
        }
        return (found, false)
    }

    /// The tasks in order from the first updated at or after `since` and (given a cursor) after
    /// `(updated, id)`, found one at a time: a listing that stops early (a page full of large
    /// tasks) has merged only as far as it read.
    public func walk(since: Int64, after cursor: (updated: Int64, id: String)?) -> Walk {
        func isAtOrAfterStart(_ entry: Entry) -> Bool {
            guard entry.updated >= since else { return false }
            guard let cursor else { return true }
            return entry.updated > cursor.updated
                || (entry.updated == cursor.updated && entry.task.idFollows(cursor.id))
        }
        // Each shard from its first entry past the start; the shards' heads in a min-heap.
        var heads: [Head] = []
        for (shard, entries) in shards.enumerated() {
            let index = Self.firstIndex(in: entries, where: isAtOrAfterStart)
            if index < entries.count { heads.append(Head(updated: entries[index].updated, shard: shard, index: index)) }
        }
        let shards = shards
        // Heads are positions, not entries: moving one in the heap then retains and releases
        // nothing (for the 1,024 shards' heads each page starts with), and most comparisons are
        // decided by the time alone.
        let heap = MinHeap(heads) { a, b in
            a.updated != b.updated
                ? a.updated < b.updated
                : PackedTask.keyPrecedes(shards[a.shard][a.index].task, shards[b.shard][b.index].task)
        }
        return Walk(shards: shards, heap: heap)
    }

    /// A shard's next entry in a walk.
    struct Head {
        var updated: Int64
        var shard: Int
        var index: Int
    }

    /// A merge of the sorted shards, from where `walk` started it.
    public struct Walk: Sequence, IteratorProtocol {
        let shards: [[Entry]]
        var heap: MinHeap<Head>

        public mutating func next() -> PackedTask? {
            guard let head = heap.popFirst() else { return nil }
            let next = head.index + 1
            if next < shards[head.shard].count {
                heap.push(Head(updated: shards[head.shard][next].updated, shard: head.shard, index: next))
            }
            return shards[head.shard][head.index].task
        }
    }
}
