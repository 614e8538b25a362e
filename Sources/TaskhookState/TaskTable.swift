import TaskhookCore

/// Every known task, rebuilt from the journal at start-up and changed only by durable events.
///
/// `apply` is idempotent: a delivery seen before changes nothing. It is a duplicate when the
/// task's history holds the same delivery id, or, for providers that send none, the same
/// status (the dedupe key of `TaskEvent.dedupeKey`). The history is where this is decided, so
/// the table needs no separate set of keys. A task's status never moves backwards: a late
/// IN_PROGRESS after COMPLETED is kept in its history but does not change it, and its first
/// terminal status is final.
public struct TaskTable: Sendable, Equatable {
    public enum Outcome: Sendable, Equatable {
        /// The first event of a task.
        case created
        /// The task's status or results changed.
        case changed(from: TaskStatus)
        /// Recorded in the task's history without changing it (late or out of order).
        case kept
        /// The delivery was seen before: nothing changed.
        case duplicate

        /// Whether waiters should hear of it.
        public var changedTask: Bool {
            switch self {
            case .created, .changed: true
            case .kept, .duplicate: false
            }
        }
    }

    /// Sharded so that a snapshot for a checkpoint, the table's growth and a retention sweep
    /// each cost the loop a bounded slice, not a pass over every task (see `ShardedDictionary`).
    public internal(set) var tasks = ShardedDictionary<String, TrackedTask>()
    /// The highest journal sequence applied (events or otherwise).
    public internal(set) var lastSequence: UInt64 = 0
    /// How many tasks have each status (in `TaskStatus.allCases` order), kept as tasks change
    /// so `/metrics` need not count a million tasks on the loop.
    private var statusCounts = [Int](repeating: 0, count: TaskStatus.allCases.count)

    public func count(withStatus status: TaskStatus) -> Int { statusCounts[Self.slot(status)] }

    /// Changes the count of `status` by `delta` (`internal` for the checkpoint decoder).
    mutating func adjustCount(_ status: TaskStatus, by delta: Int) { statusCounts[Self.slot(status)] += delta }

    private static func slot(_ status: TaskStatus) -> Int {
        switch status {
        case .created: 0
        case .inProgress: 1
        case .completed: 2
        case .failed: 3
        case .canceled: 4
        }
    }

    public init() {}

    public var count: Int { tasks.count }

    public subscript(id: String) -> TrackedTask? { tasks[id] }

    /// Whether applying `event` would change nothing because its delivery was applied before.
    public func isDuplicate(_ event: TaskEvent, deliveryID: String?) -> Bool {
        guard let task = tasks[event.taskID], task.provider == event.provider else { return false }
        return Self.contains(task, event, Self.normalized(deliveryID))
    }

    private static func normalized(_ deliveryID: String?) -> String? {
        guard let deliveryID, !deliveryID.isEmpty else { return nil }
        return deliveryID
    }

    private static func contains(_ task: TrackedTask, _ event: TaskEvent, _ deliveryID: String?) -> Bool {
        if let deliveryID { return task.reports.contains { $0.deliveryID == deliveryID } }
        return task.reports.contains { $0.deliveryID == nil && $0.status == event.status }
    }

    /// Notes a journal record that carried no event, so `lastSequence` stays exact.
    public mutating func advance(to sequence: UInt64) {
        lastSequence = max(lastSequence, sequence)
    }

    @discardableResult
    public mutating func apply(_ event: TaskEvent, deliveryID: String?, sequence: UInt64, time: Int64) -> Outcome {
        advance(to: sequence)
        let deliveryID = Self.normalized(deliveryID)
        guard var task = tasks[event.taskID] else {
            adjustCount(event.status, by: 1)
            tasks[event.taskID] = TrackedTask(
                id: event.taskID, provider: event.provider, status: event.status, results: event.results,
                error: event.error, firstSeen: time, updated: time,
                reports: [
                    TrackedTask.Report(
                        sequence: sequence, status: event.status, time: time, applied: true, deliveryID: deliveryID)
                ])
            return .created
        }
        if task.provider == event.provider, Self.contains(task, event, deliveryID) { return .duplicate }
        let previous = task.status
        // Equal rank but not terminal (a repeated IN_PROGRESS) may still bring news; a terminal
        // status is final, and nothing moves back.
        let applies = event.status.rank > previous.rank || (event.status.rank == previous.rank && !previous.isTerminal)
        task.reports.append(
            TrackedTask.Report(
                sequence: sequence, status: event.status, time: time, applied: applies, deliveryID: deliveryID))
        guard applies else {
            tasks[event.taskID] = task
            return .kept
        }
        adjustCount(previous, by: -1)
        adjustCount(event.status, by: 1)
        task.status = event.status
        if !event.results.isEmpty || event.status.isTerminal { task.results = event.results }
        task.error = event.error
        task.updated = time
        tasks[event.taskID] = task
        return .changed(from: previous)
    }

    /// Forgets every task last heard of (its latest delivery) before `time`, Unix milliseconds,
    /// as journal retention forgets the segments that held its records; returns how many. A
    /// later delivery for a forgotten task starts it afresh.
    @discardableResult
    public mutating func forgetTasks(lastHeardBefore time: Int64) -> Int {
        var forgotten = 0
        for shard in 0..<Self.shardCount { forgotten += forgetTasks(lastHeardBefore: time, inShard: shard) }
        return forgotten
    }

    /// `forgetTasks` over one shard of the table (1/`shardCount` of its tasks), so that a sweep
    /// can go a slice at a time between other work on the loop.
    @discardableResult
    public mutating func forgetTasks(lastHeardBefore time: Int64, inShard shard: Int) -> Int {
        let forgotten = tasks.removeAll(inShard: shard) { $0.lastHeard < time }
        for task in forgotten { adjustCount(task.status, by: -1) }
        return forgotten.count
    }

    public static var shardCount: Int { ShardedDictionary<String, TrackedTask>.shardCount }

    /// Room for `count` more tasks without growing (replay knows roughly how many are coming).
    public mutating func reserveCapacity(_ count: Int) {
        tasks.reserveCapacity(tasks.count + count)
    }
}
