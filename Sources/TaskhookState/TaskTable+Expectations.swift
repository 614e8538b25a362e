import TaskhookCore

extension TaskTable {
    /// What registering did.
    public enum ExpectOutcome: Sendable, Equatable {
        /// A registration before the provider was called, new or changed.
        case registered(Registration)
        /// The task is now expected; `created`: the table did not know it before.
        case expected(TrackedTask, created: Bool)
        /// The registration was withdrawn (dropped before its deadline).
        case withdrawn(String)
        /// The same registration or expectation again: nothing changed.
        case unchanged
    }

    /// The deadline of a registration that names none: a day.
    public static let defaultDeadlineMilliseconds: Int64 = 24 * 3600 * 1000

    /// Applies an `expect` record. A task id with the registration it binds moves the
    /// registration onto the task; a task already known (its callback came before the binding)
    /// keeps its status and history and gains the expectation. Members the record leaves out
    /// keep what was expected before.
    @discardableResult
    public mutating func expect(_ record: ExpectRecord, sequence: UInt64, time: Int64) -> ExpectOutcome {
        advance(to: sequence)
        guard let id = record.id else {
            guard let registrationID = record.registration else { return .unchanged }
            if record.withdrawn {
                return registrations.removeValue(forKey: registrationID) == nil
                    ? .unchanged : .withdrawn(registrationID)
            }
            let earlier = registrations[registrationID]
            let registration = Registration(
                id: registrationID, provider: record.provider, externalID: record.externalID ?? earlier?.externalID,
                expectation: Self.merged(earlier?.expectation, record, registration: nil, time: time))
            guard registration != earlier else { return .unchanged }
            registrations[registrationID] = registration
            return .registered(registration)
        }
        let key = TaskKey(provider: record.provider, id: id)
        let bound = record.registration.flatMap { registrations.removeValue(forKey: $0) }
        let existing = tasks[key]
        var base = existing?.expectation ?? bound?.expectation
        if let bound, existing?.expectation != nil {
            // Both: what the binding brought fills in what the task did not have.
            base = Self.merged(
                existing?.expectation, ExpectRecord(bound.expectation, provider: bound.provider), registration: nil,
                time: time)
        }
        let expectation = Self.merged(base, record, registration: record.registration, time: time)
        let externalID = record.externalID ?? bound?.externalID
        guard var task = existing else {
            let task = TrackedTask(
                id: id, provider: record.provider, status: .created, results: [], error: nil, firstSeen: time,
                updated: time, reports: [], externalID: externalID, expectation: expectation)
            store(task)
            return .expected(task, created: true)
        }
        let before = task
        task.expectation = expectation
        if let externalID { task.externalID = externalID }
        guard task != before else { return .unchanged }
        store(task)
        return .expected(task, created: false)
    }

    /// `earlier` with every member `record` gives put over it.
    public static func merged(_ earlier: Expectation?, _ record: ExpectRecord, registration: String?, time: Int64)
        -> Expectation
    {
        var expectation =
            earlier
            ?? Expectation(deadline: record.deadline ?? time + defaultDeadlineMilliseconds, registered: time)
        if let endpoint = record.endpoint { expectation.endpoint = endpoint }
        if let url = record.statusURL { expectation.statusURL = url }
        if let url = record.resultURL { expectation.resultURL = url }
        if let deadline = record.deadline { expectation.deadline = deadline }
        if let registration { expectation.registration = registration }
        for label in record.labels { Expectation.put(label, into: &expectation.labels) }
        return expectation
    }

    /// Applies a `deadline` record: the task ends failed with the deadline's reason (unless it
    /// ended meanwhile), or the registration is dropped.
    @discardableResult
    public mutating func reachDeadline(_ record: DeadlineRecord, sequence: UInt64, time: Int64) -> Outcome? {
        advance(to: sequence)
        switch record {
        case .registration(let id):
            registrations[id] = nil
            return nil
        case .task(let key):
            guard tasks[key] != nil else { return nil }
            return apply(
                Self.deadlineEvent(key), deliveryID: nil, source: .deadline, sequence: sequence, time: time)
        }
    }

    public static func deadlineEvent(_ key: TaskKey) -> TaskEvent {
        TaskEvent(taskID: key.id, provider: key.provider, status: .failed, error: Expectation.deadlineReason)
    }

    /// The awaited tasks and registrations whose deadline is at or before `now`.
    public func deadlines(reachedBy now: Int64) -> [DeadlineRecord] {
        let tasks = awaited.filter { (self.tasks[$0]?.expectation?.deadline ?? .max) <= now }.sorted()
        let registrations = registrations.values.filter { $0.expectation.deadline <= now }.map(\.id).sorted()
        return tasks.map { .task($0) } + registrations.map { .registration($0) }
    }

    /// A page of awaited tasks in key order, after `cursor`.
    public func awaitedTasks(after cursor: TaskKey?, limit: Int) -> [TrackedTask] {
        let keys = awaited.filter { cursor == nil || $0 > cursor! }.sorted().prefix(limit)
        return keys.compactMap { tasks[$0] }
    }
}

extension ExpectRecord {
    /// The record that would register `expectation` as it stands.
    init(_ expectation: Expectation, provider: String) {
        self.init(
            provider: provider, endpoint: expectation.endpoint, statusURL: expectation.statusURL,
            resultURL: expectation.resultURL, deadline: expectation.deadline, labels: expectation.labels)
    }
}
