/// A min-heap of deadlines with at most one entry per key, so a deadline can be moved earlier
/// or later in O(log n) without leaving stale entries behind.
public struct DeadlineQueue<Key: Hashable> {
    private var heap: [(deadline: Instant, key: Key)] = []
    private var positions: [Key: Int] = [:]

    public init() {}

    public var isEmpty: Bool { heap.isEmpty }
    public var count: Int { heap.count }
    public var earliest: Instant? { heap.first?.deadline }

    public func deadline(for key: Key) -> Instant? {
        positions[key].map { heap[$0].deadline }
    }

    /// Sets (or moves) the deadline for `key`.
    public mutating func set(_ key: Key, to deadline: Instant) {
        if let index = positions[key] {
            let old = heap[index].deadline
            heap[index].deadline = deadline
            if deadline < old { siftUp(index) } else { siftDown(index) }
        } else {
            heap.append((deadline, key))
            positions[key] = heap.count - 1
            siftUp(heap.count - 1)
        }
    }

    public mutating func remove(_ key: Key) {
        guard let index = positions.removeValue(forKey: key) else { return }
        let last = heap.count - 1
        if index != last {
            heap.swapAt(index, last)
            positions[heap[index].key] = index
        }
        heap.removeLast()
        if index < heap.count {
            siftDown(index)
            siftUp(index)
        }
    }

    /// Removes and returns the key whose deadline is earliest, if that deadline is at or before `now`.
    public mutating func popExpired(now: Instant) -> Key? {
        guard let first = heap.first, first.deadline <= now else { return nil }
        remove(first.key)
        return first.key
    }

    private mutating func siftUp(_ start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].deadline < heap[parent].deadline else { return }
            swap(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            guard left < heap.count else { return }
            var smallest = left
            if left + 1 < heap.count, heap[left + 1].deadline < heap[left].deadline { smallest = left + 1 }
            guard heap[smallest].deadline < heap[parent].deadline else { return }
            swap(smallest, parent)
            parent = smallest
        }
    }

    private mutating func swap(_ a: Int, _ b: Int) {
        heap.swapAt(a, b)
        positions[heap[a].key] = a
        positions[heap[b].key] = b
    }
}
