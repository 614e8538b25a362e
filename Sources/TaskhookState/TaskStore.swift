import TaskhookCore

/// Someone waiting for one task to end (a long-poll): told once, when the task reaches a
/// terminal status through a durable record.
public protocol TaskEndWaiter: AnyObject {
    func taskEnded(_ task: TrackedTask)
}

/// The tasks the daemon knows and who listens to them: the task table rebuilt from the
/// journal, the jobs waiting for a task to end, and the listeners to every change (the event
/// stream). Changed only by durable records, through `apply`, on the event loop's thread.
public final class TaskStore {
    /// Told of every report that changed a task, in journal order.
    public typealias ChangeListener = (TrackedTask, TrackedTask.Report) -> Void

    public private(set) var table: TaskTable
    private var waiters: WaiterRegistry<any TaskEndWaiter>
    private var listeners: [ChangeListener] = []

    public init(table: TaskTable = TaskTable(), maxWaiters: Int) {
        self.table = table
        self.waiters = WaiterRegistry(limit: maxWaiters)
    }

    public subscript(key: TaskKey) -> TrackedTask? { table[key] }

    /// The one task with this id, whichever its provider (nil when none or several have it).
    public subscript(id: String) -> TrackedTask? { table[id] }

    /// What a `provider:id` or bare-id reference names.
    public func resolve(_ reference: String) -> TaskTable.Resolution { table.resolve(reference) }

    // MARK: Changes

    /// Applies the events of one durable record (a callback's, or a status read's), then tells
    /// the listeners of each change and wakes the waiters of each task it ended. Returns each
    /// event's outcome, in order.
    @discardableResult
    public func apply(
        _ events: [TaskEvent], deliveryID: String?, source: TrackedTask.Report.Source = .callback, sequence: UInt64,
        time: Int64
    ) -> [TaskTable.Outcome] {
        table.advance(to: sequence)
        var outcomes: [TaskTable.Outcome] = []
        outcomes.reserveCapacity(events.count)
        for event in events {
            let (outcome, task) = table.applying(
                event, deliveryID: deliveryID, source: source, sequence: sequence, time: time)
            outcomes.append(outcome)
            if let task { announce(task) }
        }
        return outcomes
    }

    /// Applies a durable `expect` record.
    @discardableResult
    public func expect(_ record: ExpectRecord, sequence: UInt64, time: Int64) -> TaskTable.ExpectOutcome {
        table.expect(record, sequence: sequence, time: time)
    }

    /// Applies a durable `deadline` record: the task ends failed (its waiters are woken), or the
    /// registration is dropped.
    @discardableResult
    public func reachDeadline(_ record: DeadlineRecord, sequence: UInt64, time: Int64) -> TaskTable.Outcome? {
        let outcome = table.reachDeadline(record, sequence: sequence, time: time)
        if let outcome, outcome.changedTask, case .task(let key) = record, let task = table[key] { announce(task) }
        return outcome
    }

    /// Tells the listeners of a change to `task` and, when it ended the task, wakes its waiters.
    private func announce(_ task: TrackedTask) {
        if let report = task.reports.last {
            for listener in listeners { listener(task, report) }
        }
        // Most tasks have no waiter: the registry is asked only for a task that just ended.
        // A waiter named it `provider:id`, or by its bare id before any task had that id.
        // With no waiter at all (the usual case at ingest rates), neither name is made: the
        // `provider:id` text and the array of names cost two allocations per callback.
        guard task.isTerminal, waiters.count > 0 else { return }
        for name in [task.key.description, task.id] where waiters.hasWaiters(for: name) {
            for waiter in waiters.take(task: name) { waiter.taskEnded(task) }
        }
    }

    /// Notes a durable record that carried no event (an unparsed callback, a checkpoint).
    public func advance(to sequence: UInt64) { table.advance(to: sequence) }

    /// `forgetTasks` over one of the table's shards, for a sweep in slices.
    @discardableResult
    public func forgetTasks(lastHeardBefore time: Int64, inShard shard: Int, recordedBefore sequence: UInt64 = .max)
        -> Int
    {
        table.forgetTasks(lastHeardBefore: time, inShard: shard, recordedBefore: sequence)
    }

    /// Whether every event of a delivery (or status read) was applied before: a duplicate.
    public func isDuplicate(
        _ events: [TaskEvent], deliveryID: String?, source: TrackedTask.Report.Source = .callback
    ) -> Bool {
        !events.isEmpty && events.allSatisfy { table.isDuplicate($0, deliveryID: deliveryID, source: source) }
    }

    // MARK: Listeners and waiters

    public func addChangeListener(_ listener: @escaping ChangeListener) { listeners.append(listener) }

    public var waiterCount: Int { waiters.count }
    public var waiterLimit: Int { waiters.limit }

    /// Registers `waiter` for a task named `provider:id` (or a bare id, which any provider's task
    /// of that id ends); nil when the registry is full.
    public func addWaiter(_ waiter: any TaskEndWaiter, for id: String) -> WaiterRegistry<any TaskEndWaiter>.ID? {
        waiters.add(waiter, for: id)
    }

    /// Removes a waiter whose wait ended otherwise (timeout, client gone); nil if it was woken already.
    @discardableResult
    public func removeWaiter(_ id: WaiterRegistry<any TaskEndWaiter>.ID) -> (any TaskEndWaiter)? {
        waiters.remove(id)
    }

    /// Removes and returns every waiter (shutdown), in the order they arrived.
    public func takeAllWaiters() -> [any TaskEndWaiter] { waiters.takeAll() }
}
