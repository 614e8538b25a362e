/// A min-heap of deadlines keyed by small integers (slot numbers), at most one entry per key,
/// so a deadline can be moved in O(log n) without leaving stale entries. Positions live in an
/// array indexed by key: no hashing on the hot path.
public struct DeadlineQueue {
    private var heap: [(deadline: Instant, key: Int)] = []
    private var positions: [Int] = []  // -1: not queued

    public init() {}

    public var isEmpty: Bool { heap.isEmpty }
    public var count: Int { heap.count }
    public var earliest: Instant? { heap.first?.deadline }

    public func deadline(for key: Int) -> Instant? {
        guard key < positions.count, positions[key] >= 0 else { return nil }
        return heap[positions[key]].deadline
    }

    /// Sets (or moves) the deadline for `key`.
    public mutating func set(_ key: Int, to deadline: Instant) {
        precondition(key >= 0)
        if key >= positions.count { positions += repeatElement(-1, count: key + 1 - positions.count) }
        let index = positions[key]
        if index >= 0 {
            let old = heap[index].deadline
            heap[index].deadline = deadline
            if deadline < old { siftUp(index) } else { siftDown(index) }
        } else {
            heap.append((deadline, key))
            positions[key] = heap.count - 1
            siftUp(heap.count - 1)
        }
    }

    public mutating func remove(_ key: Int) {
        guard key < positions.count, positions[key] >= 0 else { return }
        let index = positions[key]
        positions[key] = -1
        let last = heap.count - 1
        if index != last {
            heap[index] = heap[last]
            positions[heap[index].key] = index
        }
        heap.removeLast()
        if index < heap.count {
            siftDown(index)
            siftUp(index)
        }
    }

    /// Removes and returns the key whose deadline is earliest, if that deadline is at or before `now`.
    public mutating func popExpired(now: Instant) -> Int? {
        guard let first = heap.first, first.deadline <= now else { return nil }
        remove(first.key)
        return first.key
    }

    private mutating func siftUp(_ start: Int) {
        var child = start
        let item = heap[child]
        while child > 0 {
            let parent = (child - 1) / 2
            guard item.deadline < heap[parent].deadline else { break }
            heap[child] = heap[parent]
            positions[heap[child].key] = child
            child = parent
        }
        heap[child] = item
        positions[item.key] = child
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        let item = heap[parent]
        while true {
            let left = 2 * parent + 1
            guard left < heap.count else { break }
            var smallest = left
            if left + 1 < heap.count, heap[left + 1].deadline < heap[left].deadline { smallest = left + 1 }
            guard heap[smallest].deadline < item.deadline else { break }
            heap[parent] = heap[smallest]
            positions[heap[parent].key] = parent
            parent = smallest
        }
        heap[parent] = item
        positions[item.key] = parent
    }
}
