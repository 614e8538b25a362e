import TaskhookCore
import TaskhookHTTP
import TaskhookProviders
import TaskhookState

/// What a registration request (`POST /v1/tasks`) will do, decided against the table before
/// anything is journaled: refused, a repeat that changes nothing (answered without a record),
/// or a record to journal with what the daemon fills in (the registration id, the deadline).
enum ExpectationPlan {
    case refused(HTTPStatus, String)
    case unchanged(JSON)
    case journal(Planned)

    struct Planned {
        var record: ExpectRecord
        /// Nothing was expected of it before: answered 201.
        var isNew: Bool
        /// The answer, from the table once the record is applied.
        var answer: (TaskTable) -> JSON
    }

    static func make(_ request: ExpectRecord, table: TaskTable, now: Int64, newRegistrationID: () -> String)
        -> ExpectationPlan
    {
        var record = request
        let defaultDeadline = now + TaskTable.defaultDeadlineMilliseconds
        if record.withdrawn, let registrationID = record.registration {
            guard let earlier = table.registrations[registrationID], earlier.provider == record.provider else {
                return .refused(.notFound, "unknown registration \(registrationID) of provider \(record.provider)")
            }
            let answer: JSON = ["registration": .string(registrationID), "withdrawn": true]
            return .journal(Planned(record: record, isNew: false) { _ in answer })
        }
        guard let id = record.id else {
            let registrationID = record.registration ?? newRegistrationID()
            record.registration = registrationID
            let earlier = table.registrations[registrationID]
            if let earlier, earlier.provider != record.provider {
                return .refused(.conflict, "registration \(registrationID) is for provider \(earlier.provider)")
            }
            if earlier == nil, record.deadline == nil { record.deadline = defaultDeadline }
            if let earlier,
                TaskTable.merged(earlier.expectation, record, registration: nil, time: now) == earlier.expectation,
                record.externalID == nil || record.externalID == earlier.externalID
            {
                return .unchanged(earlier.json)
            }
            return .journal(
                Planned(record: record, isNew: earlier == nil) { table in
                    table.registrations[registrationID]?.json ?? .null
                })
        }
        let key = TaskKey(provider: record.provider, id: id)
        let existing = table[key]
        var binding: Registration?
        if let registrationID = record.registration {
            binding = table.registrations[registrationID]
            if let binding, binding.provider != record.provider {
                return .refused(.conflict, "registration \(registrationID) is for provider \(binding.provider)")
            }
            if binding == nil, existing?.expectation?.registration != registrationID {
                return .refused(
                    .notFound,
                    "unknown registration \(registrationID): never made, dropped at its deadline, or bound to another task"
                )
            }
        }
        if existing?.expectation == nil, binding == nil, record.deadline == nil { record.deadline = defaultDeadline }
        if binding == nil, let existing, let expectation = existing.expectation,
            TaskTable.merged(expectation, record, registration: record.registration, time: now) == expectation,
            record.externalID == nil || record.externalID == existing.externalID
        {
            return .unchanged(existing.json)
        }
        return .journal(
            Planned(record: record, isNew: existing?.expectation == nil) { table in table[key]?.json ?? .null })
    }
}

/// What a status read's document says about the task it was read for.
enum ObservationReading: Equatable {
    case events([TaskEvent])
    case refused(String)

    /// Reads `body` with the profile that reads the task's callbacks; only the events about
    /// `key` count, and a document about other tasks only is refused.
    static func read(_ body: [UInt8], for key: TaskKey, normalizer: any PayloadNormalizer, now: Int64)
        -> ObservationReading
    {
        switch normalizer.normalize(Callback(headers: [], body: body, receivedAt: now / 1000)) {
        case .unparsed(let reason):
            return .refused("the \(key.provider) profile cannot read the observation: \(reason)")
        case .events(let events, _):
            let about = events.filter { $0.key == key }
            guard !about.isEmpty else {
                let named = events.map(\.key.description).joined(separator: ", ")
                return .refused("the observation speaks of \(named.isEmpty ? "no task" : named), not \(key)")
            }
            return .events(about)
        }
    }
}
