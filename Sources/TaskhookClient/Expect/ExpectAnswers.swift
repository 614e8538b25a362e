import TaskhookCore

/// The daemon's answer to a registration made before submitting (`POST /v1/tasks` without `id`).
public struct PendingRegistration: Sendable, Equatable {
    public var registration: String
    public var provider: String
    public var endpoint: String?
    /// Milliseconds since the epoch.
    public var deadline: Int64
    public var registered: Int64?

    public init(registration: String, provider: String, endpoint: String?, deadline: Int64, registered: Int64?) {
        self.registration = registration
        self.provider = provider
        self.endpoint = endpoint
        self.deadline = deadline
        self.registered = registered
    }

    public init(json: JSON) throws(ViewError) {
        let fields = try JSONFields(json, "the registration")
        self.init(
            registration: try fields.required("registration", fields.string),
            provider: try fields.required("provider", fields.string), endpoint: try fields.string("endpoint"),
            deadline: try fields.required("deadline", fields.int64), registered: try fields.int64("registered"))
    }

    public static func parse(_ body: [UInt8]) throws(ControlError) -> PendingRegistration {
        try ViewError.reading(body) { json throws(ViewError) in try PendingRegistration(json: json) }
    }
}

/// The daemon's answer to an observation (`POST /v1/tasks/{ref}/observations`).
public struct ObservationAnswer: Sendable, Equatable {
    public enum Outcome: String, Sendable {
        /// Journaled and applied: the task moved (its waiters woken if it ended).
        case changed
        /// Journaled, but the task did not move (already terminal, or the status is older).
        case kept
        /// The task already had a report of that status: nothing journaled.
        case duplicate
    }

    public var outcome: Outcome
    public var task: TaskView

    public init(outcome: Outcome, task: TaskView) {
        self.outcome = outcome
        self.task = task
    }

    public static func parse(_ body: [UInt8]) throws(ControlError) -> ObservationAnswer {
        try ViewError.reading(body) { json throws(ViewError) in
            let fields = try JSONFields(json, "the observation answer")
            let word = try fields.required("outcome", fields.string)
            guard let outcome = Outcome(rawValue: word) else {
                throw ViewError("the observation answer's outcome \"\(word)\" is not changed, kept or duplicate")
            }
            guard let task = json["task"] else { throw ViewError("the observation answer has no \"task\"") }
            return ObservationAnswer(outcome: outcome, task: try TaskView(json: task))
        }
    }
}

/// One page of `GET /v1/expected`: expected tasks not yet ended, registrations not yet bound (first
/// page only), and where the next page starts.
public struct ExpectedPage: Sendable, Equatable {
    public var tasks: [TaskView]
    public var pending: [PendingRegistration]
    public var next: String?

    public init(tasks: [TaskView], pending: [PendingRegistration], next: String?) {
        self.tasks = tasks
        self.pending = pending
        self.next = next
    }

    public static func parse(_ body: [UInt8]) throws(ControlError) -> ExpectedPage {
        try ViewError.reading(body) { json throws(ViewError) in
            let fields = try JSONFields(json, "the expected tasks")
            var tasks: [TaskView] = []
            for element in try fields.required("tasks", fields.array) { tasks.append(try TaskView(json: element)) }
            var pending: [PendingRegistration] = []
            for element in try fields.array("pending") ?? [] { pending.append(try PendingRegistration(json: element)) }
            return ExpectedPage(tasks: tasks, pending: pending, next: try fields.string("next"))
        }
    }
}
