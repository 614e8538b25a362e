import TaskhookCore

/// Every known task, rebuilt from the journal at start-up and changed only by durable events,
/// keyed by `TaskKey` (provider identity, task id): ids are unique only within one provider.
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

    /// What a task reference (`provider:id`, or a bare id) names.
    public enum Resolution: Sendable, Equatable {
        case task(TrackedTask)
        case unknown
        /// A bare id several providers use: the keys that would each name one.
        case ambiguous([TaskKey])
    }

    /// Packed, a task to a buffer (see `PackedTask`), and sharded so that a snapshot for a
    /// checkpoint, the table's growth and a retention sweep each cost the loop a bounded slice,
    /// not a pass over every task (see `PackedTasks`).
    public internal(set) var tasks = PackedTasks()
    /// The tasks by last update, kept as they change: what `/v1/tasks` pages through.
    public internal(set) var order = UpdateOrder()
    /// How many tasks each provider identity has: a bare id is looked up once per identity, so
    /// resolving one costs a few lookups, not a pass over every task.
    public internal(set) var providers = ProviderCounts()
    /// Registrations made before their provider was called, by registration id, until bound to a
    /// task id or dropped at their deadline.
    public internal(set) var registrations: [String: Registration] = [:]
    /// The expected tasks that have not ended: what the reconciler reads and whose deadlines are
    /// watched. Small (the tasks in flight), so a pass over it is cheap where one over the
    /// table would not be.
    public internal(set) var awaited: Set<TaskKey> = []
    /// The highest journal sequence applied (events or otherwise).
    public internal(set) var lastSequence: UInt64 = 0
    /// How many tasks have each status (in `TaskStatus.allCases` order), kept as tasks change
    /// so `/metrics` need not count a million tasks on the loop.
    private var statusCounts = [Int](repeating: 0, count: TaskStatus.allCases.count)

    public init() {}

    public func count(withStatus status: TaskStatus) -> Int { statusCounts[Int(status.code)] }

    private mutating func adjustCount(_ status: TaskStatus, by delta: Int) { statusCounts[Int(status.code)] += delta }

    public var count: Int { tasks.count }

    public subscript(key: TaskKey) -> TrackedTask? { tasks[key] }

    /// The one task with this id, whichever its provider; nil when none or several have it.
    public subscript(id: String) -> TrackedTask? {
        if case .task(let task) = resolve(id) { return task }
        return nil
    }

    /// Every task with this id, one per provider identity that has it, in provider order.
    public func tasks(withID id: String) -> [TrackedTask] {
        providers.names.sorted().compactMap { tasks[TaskKey(provider: $0, id: id)] }
    }

    /// What `reference` names: `provider:id` when that task exists, else the bare id when exactly
    /// one provider has it. An id that itself holds a colon is found either way.
    public func resolve(_ reference: String) -> Resolution {
        var found = tasks(withID: reference)
        if let key = TaskKey(qualified: reference), let task = tasks[key], !found.contains(where: { $0.key == key }) {
            found.append(task)
        }
        switch found.count {
        case 0: return .unknown
        case 1: return .task(found[0])
        default: return .ambiguous(found.map(\.key).sorted())
        }
    }

    /// Whether applying `event` would change nothing because its delivery was applied before.
    public func isDuplicate(_ event: TaskEvent, deliveryID: String?, source: TrackedTask.Report.Source = .callback)
        -> Bool
    {
        guard let task = tasks[event.key] else { return false }
        return Self.contains(task, event, Self.normalized(deliveryID), source)
    }

    private static func normalized(_ deliveryID: String?) -> String? {
        guard let deliveryID, !deliveryID.isEmpty else { return nil }
        return deliveryID
    }

    /// A callback with a delivery id is a repeat of one with that id; one without, of a report
    /// of the same status without one (an observation's included). A status read repeats any
    /// report of its status, a callback's too: polling a task the callbacks already told of, or
    /// polling it again, records nothing.
    private static func contains(
        _ task: TrackedTask, _ event: TaskEvent, _ deliveryID: String?, _ source: TrackedTask.Report.Source
    ) -> Bool {
        if source == .observation { return task.reports.contains { $0.status == event.status } }
        if let deliveryID { return task.reports.contains { $0.deliveryID == deliveryID } }
        return task.reports.contains { $0.deliveryID == nil && $0.status == event.status }
    }

    /// Notes a journal record that carried no event, so `lastSequence` stays exact.
    public mutating func advance(to sequence: UInt64) {
        lastSequence = max(lastSequence, sequence)
    }

    @discardableResult
    public mutating func apply(
        _ event: TaskEvent, deliveryID: String?, source: TrackedTask.Report.Source = .callback, sequence: UInt64,
        time: Int64
    ) -> Outcome {
        applying(event, deliveryID: deliveryID, source: source, sequence: sequence, time: time).outcome
    }

    /// `apply`, and the task as it stands after a change (nil when nothing changed): whoever is
    /// told of the change need not look it up and unpack it again.
    mutating func applying(
        _ event: TaskEvent, deliveryID: String?, source: TrackedTask.Report.Source, sequence: UInt64, time: Int64
    ) -> (outcome: Outcome, task: TrackedTask?) {
        advance(to: sequence)
        let deliveryID = Self.normalized(deliveryID)
        let key = event.key
        guard let stored = tasks.packed(key) else {
            let task = TrackedTask(
                id: event.taskID, provider: event.provider, status: event.status, results: event.results,
                error: event.error, firstSeen: time, updated: time,
                reports: [
                    TrackedTask.Report(
                        sequence: sequence, status: event.status, time: time, applied: true,
                        deliveryID: deliveryID, source: source)
                ], externalID: event.externalID)
            store(task)
            return (.created, task)
        }
        var task = stored.task
        if Self.contains(task, event, deliveryID, source) { return (.duplicate, nil) }
        // The caller's id, once known, stays: a later report without it does not erase it.
        if let external = event.externalID { task.externalID = external }
        let previous = task.status
        // Equal rank but not terminal (a repeated IN_PROGRESS) may still bring news; a terminal
        // status is final, and nothing moves back.
        let applies = event.status.rank > previous.rank || (event.status.rank == previous.rank && !previous.isTerminal)
        task.reports.append(
            TrackedTask.Report(
                sequence: sequence, status: event.status, time: time, applied: applies, deliveryID: deliveryID,
                source: source))
        guard applies else {
            store(task)
            return (.kept, nil)
        }
        task.status = event.status
        if !event.results.isEmpty || event.status.isTerminal { task.results = event.results }
        task.error = event.error
        task.updated = time
        store(task)
        return (.changed(from: previous), task)
    }

    /// Many tasks stored at once (a checkpoint read, a replay) until `endBulkLoad`. The update
    /// order is kept as long as they come in its order, as a checkpoint writes them and as a
    /// replay of one callback a task applies them; else it is built once at the end.
    mutating func beginBulkLoad() { order.beginLoad() }

    mutating func endBulkLoad() { order.endLoad(from: tasks) }

    /// Puts `task` in the table, new or in place of the one with its key, and keeps the order,
    /// the counts and the awaited index in step.
    mutating func store(_ task: TrackedTask) { store(PackedTask(task)) }

    mutating func store(_ packed: PackedTask) { stored(packed, replacing: tasks.update(with: packed)) }

    /// Applies the one event of a replayed record, given as the task it starts when its key is
    /// new (`PackedTask(newTaskIn:)`): such a task is stored as it is, hashed once and never
    /// unpacked; for a known key the event is read back out of it and applied like any other.
    @discardableResult
    mutating func apply(newTask: PackedTask) -> Outcome {
        advance(to: newTask.lastSequence)
        if tasks.insertNew(newTask) == nil {
            stored(newTask, replacing: nil)
            return .created
        }
        let task = newTask.task
        let report = task.reports[0]
        let event = TaskEvent(
            taskID: task.id, provider: task.provider, status: task.status, results: task.results, error: task.error,
            externalID: task.externalID)
        return apply(
            event, deliveryID: report.deliveryID, source: report.source, sequence: report.sequence, time: report.time)
    }

    /// Keeps the order, the counts and the awaited index in step with `packed`, just stored in
    /// place of `old` (nil when its key is new).
    private mutating func stored(_ packed: PackedTask, replacing old: PackedTask?) {
        if let old {
            order.replace(old, with: packed)
            adjustCount(old.status, by: -1)
        } else {
            order.insert(packed)
            providers.add(packed, 1)
        }
        adjustCount(packed.status, by: 1)
        // Only an expected task is in the index: most callbacks end tasks no one registered.
        if packed.isExpected {
            if packed.isAwaited { awaited.insert(packed.key) } else { awaited.remove(packed.key) }
        }
    }

    /// Forgets every task last heard of (its latest delivery) before `time`, Unix milliseconds,
    /// as journal retention forgets the segments that held its records; returns how many. A
    /// later delivery for a forgotten task starts it afresh. A task a job still awaits is kept:
    /// its deadline ends it first.
    @discardableResult
    public mutating func forgetTasks(lastHeardBefore time: Int64) -> Int {
        var forgotten = 0
        for shard in 0..<Self.shardCount { forgotten += forgetTasks(lastHeardBefore: time, inShard: shard) }
        return forgotten
    }

    /// `forgetTasks` over one shard of the table (1/`shardCount` of its tasks), so that a sweep
    /// can go a slice at a time between other work on the loop. `recordedBefore`: only tasks no
    /// record from that sequence on spoke of (a sweep behind its forget record).
    @discardableResult
    public mutating func forgetTasks(
        lastHeardBefore time: Int64, inShard shard: Int, recordedBefore sequence: UInt64 = .max
    )
        -> Int
    {
        let forgotten = tasks.removeAll(inShard: shard) {
            $0.lastHeard < time && $0.lastSequence < sequence && !$0.isAwaited
        }
        order.remove(forgotten)
        for task in forgotten {
            adjustCount(task.status, by: -1)
            providers.add(task, -1)
        }
        return forgotten.count
    }

    /// Whether one shard holds a task last heard of before `time` (read-only).
    public func hasTask(lastHeardBefore time: Int64, inShard shard: Int) -> Bool {
        tasks.shard(shard).tasks.contains { $0.lastHeard < time && !$0.isAwaited }
    }

    public static var shardCount: Int { PackedTasks.shardCount }

    /// The shard a task's key lives in.
    public static func shard(of key: TaskKey) -> Int { PackedTasks.shard(of: key) }

    /// Room for `count` more tasks without growing (replay knows roughly how many are coming).
    /// `PackedTasks.reserveCapacity` adds them to the tasks already there.
    public mutating func reserveCapacity(_ count: Int) {
        tasks.reserveCapacity(count)
    }
}
