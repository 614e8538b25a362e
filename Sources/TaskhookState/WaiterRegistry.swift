import TaskhookCore

/// Who is waiting for which task. Pure bookkeeping: the daemon decides what waking means
/// (answering a long-poll) and when a wait ends.
public struct WaiterRegistry<Waiter> {
    public struct ID: Hashable, Sendable {
        let value: UInt64
    }

    private var waiters: [ID: (task: String, waiter: Waiter)] = [:]
    /// A set, so a waiter that leaves among thousands on one task costs O(1), not a scan.
    private var byTask: [String: Set<ID>] = [:]
    private var next: UInt64 = 0
    /// Beyond this many, `add` refuses (the caller answers 503).
    public let limit: Int

    public init(limit: Int) { self.limit = limit }

    public var count: Int { waiters.count }

    /// Registers a waiter for `task`; nil when the registry is full.
    public mutating func add(_ waiter: Waiter, for task: String) -> ID? {
        guard waiters.count < limit else { return nil }
        next += 1
        let id = ID(value: next)
        waiters[id] = (task, waiter)
        byTask[task, default: []].insert(id)
        return id
    }

    /// Removes one waiter (its wait ended or its client went away); returns it if it was there.
    @discardableResult
    public mutating func remove(_ id: ID) -> Waiter? {
        guard let entry = waiters.removeValue(forKey: id) else { return nil }
        byTask[entry.task]?.remove(id)
        if byTask[entry.task]?.isEmpty == true { byTask[entry.task] = nil }
        return entry.waiter
    }

    public func hasWaiters(for task: String) -> Bool { byTask[task] != nil }

    /// Removes and returns every waiter for `task`, in the order they arrived.
    public mutating func take(task: String) -> [Waiter] {
        guard let ids = byTask.removeValue(forKey: task) else { return [] }
        return ids.sorted { $0.value < $1.value }.compactMap { waiters.removeValue(forKey: $0)?.waiter }
    }

    /// Removes and returns every waiter (shutdown).
    public mutating func takeAll() -> [Waiter] {
        defer {
            waiters.removeAll()
            byTask.removeAll()
        }
        return waiters.keys.sorted { $0.value < $1.value }.compactMap { waiters[$0]?.waiter }
    }
}
