import TaskhookCore

/// The table's tasks in the order `/v1/tasks` pages through them: last update, then id, then
/// provider (ids and providers compared as bytes). Kept as tasks change, so a page is a walk from
/// its cursor, not a filter and a sort of the whole table for every page (and every pipelined
/// request), and starting one is a search, not a merge of many sorted runs.
///
/// A checkpoint writes the tasks in this order (`TaskTable.Snapshot`), so reading one back
/// builds it with no sort. While a snapshot shares it, the loop's first change copies the list
/// of blocks (a reference per 512 tasks) and each block it touches, once. Updates come mostly
/// at the end (the newest time), where an entry is appended.
public struct UpdateOrder: Sendable, Equatable {
    /// A task's entry is its update time and the packed task itself (a reference to the
    /// table's own bytes, not a copy of its key), replaced whenever the table replaces the task.
    /// The time is kept here too: most comparisons end at it, and reading it here spares a
    /// cache miss into the task's bytes for each.
    struct Entry: Sendable, Equatable, Comparable {
        var updated: Int64
        var task: PackedTask

        init(task: PackedTask) { self.init(updated: task.updated, task: task) }

        init(updated: Int64, task: PackedTask) {
            self.updated = updated
            self.task = task
        }

        static func == (a: Entry, b: Entry) -> Bool { a.updated == b.updated && a.task == b.task }

        static func < (a: Entry, b: Entry) -> Bool {
            a.updated != b.updated ? a.updated < b.updated : PackedTask.keyPrecedes(a.task, b.task)
        }
    }

    /// The entries in order, cut into blocks of at most `blockCapacity`: every entry of a block
    /// comes before every entry of the next. A page is a walk from one position onwards, with no
    /// merge; an update moves a task's entry from where it was (a search over the blocks, then
    /// within one, and a shift of at most one block) to the end, where it is appended.
    private(set) var blocks: [[Entry]] = []
    public private(set) var count = 0
    /// How the order follows the table's changes.
    private enum Mode: Sendable, Equatable {
        /// Every change is applied: the order is always whole.
        case kept
        /// Many tasks are stored at once (`beginLoad()`): a checkpoint's, which it writes in this
        /// order, or records replayed in journal order. A new task whose place is in the last two
        /// blocks, as it is for every task of a checkpoint and nearly every task when each
        /// callback starts one, is put there, as `kept` would; any other change suspends the
        /// order, since it costs a search where a rebuild at the end costs less. Whole as long
        /// as it lasts.
        case loading
        /// A load's tasks came out of order (a checkpoint written before checkpoints kept this
        /// order, a task updated again by a later record): the order is dropped and rebuilt
        /// once at the end (`rebuild(from:)`).
        case suspended
    }

    private var mode = Mode.kept
    var isSuspended: Bool { mode == .suspended }

    /// 512 entries, 8 KiB: an insertion or removal shifts at most that much, and a million tasks
    /// take 2,000 to 8,000 blocks (a block below a quarter full joins a neighbour), so a search
    /// over them is 13 steps.
    static let blockCapacity = 512

    init() {}

    public static func == (a: UpdateOrder, b: UpdateOrder) -> Bool {
        a.count == b.count && a.isSuspended == b.isSuspended && a.blocks.joined().elementsEqual(b.blocks.joined())
    }

    mutating func insert(_ task: PackedTask) {
        guard mode != .suspended else { return }
        let entry = Entry(task: task)
        if insertNearEnd(entry) { return }
        // Placed further back: a change a load in journal order leaves to the rebuild.
        guard mode == .kept else { return suspend() }
        count += 1
        let (block, index) = position(ofFirst: { !($0 < entry) })
        blocks[block].insert(entry, at: index)
        if blocks[block].count > Self.blockCapacity {
            let half = blocks[block].count / 2
            blocks.insert(Self.block(blocks[block][half...]), at: block + 1)
            blocks[block].removeSubrange(half...)
        }
    }

    /// Puts `entry` in one of the last two blocks when its place is there (or there is no block
    /// yet), which is where most updates go: they are the newest, or tie with the newest on time
    /// and sort by key among them (a run of ties may straddle the last two blocks). Returns
    /// false, changing nothing, when its place is further back.
    private mutating func insertNearEnd(_ entry: Entry) -> Bool {
        guard !blocks.isEmpty else {
            count += 1
            blocks.append(Self.block([entry]))
            return true
        }
        let last = blocks.count - 1
        let inLast = last == 0 || !(entry < blocks[last][0])
        guard inLast || !(entry < blocks[last - 1][0]) else { return false }
        count += 1
        // The newest: appended, into a fresh block when the last is full, so that blocks
        // filled this way stay full.
        if inLast, blocks[last][blocks[last].count - 1] < entry {
            if blocks[last].count < Self.blockCapacity {
                blocks[last].append(entry)
            } else {
                blocks.append(Self.block([entry]))
            }
            return true
        }
        let block = inLast ? last : last - 1
        let index = Self.firstIndex(in: blocks[block]) { !($0 < entry) }
        blocks[block].insert(entry, at: index)
        guard blocks[block].count > Self.blockCapacity else { return true }
        if block < last {
            // The one-too-many entry of the block before goes first into the last block.
            blocks[last].insert(blocks[block].removeLast(), at: 0)
            guard blocks[last].count > Self.blockCapacity else { return true }
        }
        // Cut where it went in (when that is past the middle), not in half: what follows it
        // starts the new last block, which the next updates fill, and the block before stays
        // full instead of half empty for good.
        let cut = max(block == last ? index : 0, blocks[last].count / 2)
        blocks.append(Self.block(blocks[last][cut...]))
        blocks[last].removeSubrange(cut...)
        return true
    }

    /// Removes the entry of `task` as it was stored (its update time decides where it is).
    mutating func remove(_ task: PackedTask) {
        guard mode != .suspended else { return }
        guard mode == .kept else { return suspend() }  // a search each: left to the rebuild
        guard let (block, index) = position(of: task) else { return }
        count -= 1
        blocks[block].remove(at: index)
        joinIfSparse(block)
    }

    /// Removes the entries of these tasks (a retention sweep's slice).
    mutating func remove(_ tasks: [PackedTask]) {
        for task in tasks { remove(task) }
    }

    /// Puts `new` where `old`, the same task before a change, was: in place when its update
    /// time did not change, so that the entry never holds on to bytes the table dropped.
    mutating func replace(_ old: PackedTask, with new: PackedTask) {
        guard mode != .suspended else { return }
        guard mode == .kept else { return suspend() }  // a search each: left to the rebuild
        guard old.updated == new.updated else {
            remove(old)
            insert(new)
            return
        }
        guard let (block, index) = position(of: old) else { return insert(new) }
        blocks[block][index] = Entry(task: new)
    }

    /// Where the entry of `task`, as it was stored, is: its block, and its place there found by
    /// its update time and key.
    private func position(of task: PackedTask) -> (block: Int, index: Int)? {
        let entry = Entry(task: task)
        let (block, index) = position(ofFirst: { !($0 < entry) })
        guard block < blocks.count, blocks[block][index] == entry else { return nil }
        return (block, index)
    }

    /// The position of the first entry for which `isAtOrAfter` holds (false for every entry
    /// before it, true from it on); `(blocks.count, 0)` when there is none.
    private func position(ofFirst isAtOrAfter: (Entry) -> Bool) -> (block: Int, index: Int) {
        // The first block whose last entry is at or after: the entry is in it.
        let block = Self.firstIndex(in: blocks) { isAtOrAfter($0[$0.count - 1]) }
        guard block < blocks.count else { return (blocks.count, 0) }
        return (block, Self.firstIndex(in: blocks[block], where: isAtOrAfter))
    }

    /// A block that has fallen below a quarter of its capacity joins its neighbour (or shares
    /// with it evenly when together they are more than a block), so the blocks stay few however
    /// entries leave them. The last block is left to fill by appends, unless it is empty.
    private mutating func joinIfSparse(_ block: Int) {
        if block == blocks.count - 1 {
            if blocks[block].isEmpty { blocks.removeLast() }
            return
        }
        guard blocks[block].count < Self.blockCapacity / 4 else { return }
        let total = blocks[block].count + blocks[block + 1].count
        if total <= Self.blockCapacity {
            blocks[block].append(contentsOf: blocks[block + 1])
            blocks.remove(at: block + 1)
        } else {
            let moved = total / 2 - blocks[block].count
            blocks[block].append(contentsOf: blocks[block + 1][..<moved])
            blocks[block + 1].removeFirst(moved)
        }
    }

    /// A block holding `entries`, with room for a full block (so that appends never regrow it).
    private static func block(_ entries: some Collection<Entry>) -> [Entry] {
        var block: [Entry] = []
        block.reserveCapacity(blockCapacity)
        block.append(contentsOf: entries)
        return block
    }

    /// Stops keeping the order (and drops it) until `endLoad(from:)` rebuilds it.
    private mutating func suspend() {
        mode = .suspended
        blocks = []
        count = 0
    }

    /// Many tasks are about to be stored, most in this order (a checkpoint's, records replayed
    /// in journal order): the order is kept while they come near its end (see `Mode.loading`),
    /// unless it is suspended already. `endLoad(from:)` ends it.
    mutating func beginLoad() {
        if mode == .kept { mode = .loading }
    }

    /// Ends a load: the order is rebuilt from `tasks` if it was suspended, and kept from here on.
    mutating func endLoad(from tasks: PackedTasks) {
        if mode == .suspended { rebuild(from: tasks) }
        mode = .kept
    }

    /// The order of `tasks`, built afresh and cut into full blocks. Sorted by update time as
    /// plain numbers first (a million entries moved by a sort retain and release no task, and
    /// compare no bytes), then each run of equal times by key, their keys copied side by side.
    ///
    /// Each task is read once, in one pass (a cache miss for each of a million), and then moved
    /// into its block, not copied: a copy retained it and the array it came from released it
    /// again, two more misses each, which made this a third of a million-record replay.
    mutating func rebuild(from tasks: PackedTasks) {
        mode = .kept
        // Unsafe, this function only: every task is moved out of `all` exactly once (`sorted`
        // is a permutation of its indices) before `all` is deallocated.
        let all = UnsafeMutableBufferPointer<PackedTask>.allocate(capacity: tasks.count)
        defer { all.deallocate() }
        var sorted: [(updated: Int64, index: Int)] = []
        sorted.reserveCapacity(tasks.count)
        for task in tasks.packed {
            precondition(sorted.count < all.count, "more tasks than the table counts")
            (all.baseAddress! + sorted.count).initialize(to: task)
            sorted.append((task.updated, sorted.count))
        }
        sorted.sort { $0.updated < $1.updated }
        var keys: [UInt8] = []
        var start = 0
        while start < sorted.count {
            var end = start + 1
            while end < sorted.count, sorted[end].updated == sorted[start].updated { end += 1 }
            if end - start > 1 {
                keys.removeAll(keepingCapacity: true)
                let places = sorted[start..<end].map { all[$0.index].appendKey(to: &keys) }
                var byKey = Array(places.indices)
                keys.withUnsafeBufferPointer { keys in
                    byKey.sort { PackedTask.keyPrecedes(places[$0], places[$1], in: keys) }
                }
                sorted.replaceSubrange(start..<end, with: byKey.map { sorted[start + $0] })
            }
            start = end
        }
        count = sorted.count
        blocks = stride(from: 0, to: sorted.count, by: Self.blockCapacity).map { first in
            Self.block(
                sorted[first..<min(first + Self.blockCapacity, sorted.count)].lazy.map {
                    Entry(updated: $0.updated, task: (all.baseAddress! + $0.index).move())
                })
        }
    }

    /// The first index of a sorted array whose element is not before what `isAtOrAfter` looks
    /// for.
    private static func firstIndex<T>(in elements: [T], where isAtOrAfter: (T) -> Bool) -> Int {
        var low = 0
        var high = elements.count
        while low < high {
            let middle = (low + high) / 2
            if isAtOrAfter(elements[middle]) { high = middle } else { low = middle + 1 }
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
    /// tasks) has read only as far as it went.
    public func walk(since: Int64, after cursor: (updated: Int64, id: String)?) -> Walk {
        let (block, index) = position { entry in
            guard entry.updated >= since else { return false }
            guard let cursor else { return true }
            return entry.updated > cursor.updated
                || (entry.updated == cursor.updated && entry.task.idFollows(cursor.id))
        }
        return Walk(blocks: blocks, block: block, index: index)
    }

    /// The entries from a position onwards, block after block.
    public struct Walk: Sequence, IteratorProtocol {
        let blocks: [[Entry]]
        var block: Int
        var index: Int

        public mutating func next() -> PackedTask? {
            guard block < blocks.count else { return nil }
            let task = blocks[block][index].task
            index += 1
            if index == blocks[block].count { (block, index) = (block + 1, 0) }
            return task
        }
    }
}
