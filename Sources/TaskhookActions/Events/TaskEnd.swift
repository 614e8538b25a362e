import TaskhookClient
import TaskhookCore

/// A task reaching a terminal status, as the event stream reports it: what actions act on.
/// The ledger keeps it in the same JSON shape as the stream's `data:` line.
public struct TaskEnd: Sendable, Equatable {
    /// The journal sequence of the record that ended the task (the stream's event id).
    public var sequence: UInt64
    public var taskID: String
    /// The provider identity.
    public var provider: String
    public var status: TaskStatus
    public var results: [String]
    public var error: String?
    /// When the ending callback arrived, Unix milliseconds.
    public var time: Int64?

    public init(
        sequence: UInt64, taskID: String, provider: String, status: TaskStatus, results: [String] = [],
        error: String? = nil, time: Int64? = nil
    ) {
        self.sequence = sequence
        self.taskID = taskID
        self.provider = provider
        self.status = status
        self.results = results
        self.error = error
        self.time = time
    }

    /// The end an event reports; nil for a change to a status that is not terminal.
    public init?(_ event: EventView) {
        guard event.terminal, let status = TaskStatus(rawValue: event.status), status.isTerminal,
            let provider = event.provider, event.sequence > 0
        else { return nil }
        self.init(
            sequence: UInt64(event.sequence), taskID: event.taskID, provider: provider, status: status,
            results: event.results, error: event.error, time: event.time)
    }

    /// `provider:id`, the task's key.
    public var key: TaskKey { TaskKey(provider: provider, id: taskID) }

    /// The event stream's shape.
    public var json: JSON {
        .object([
            ("sequence", .integer(sequence)), ("task_id", .string(taskID)), ("provider", .string(provider)),
            ("status", .string(status.rawValue)), ("terminal", true), ("results", .array(results.map { .string($0) })),
            ("error", .optional(error)), ("time", time.map { .integer($0) } ?? .null),
        ])
    }

    public static func parse(_ json: JSON) throws(ViewError) -> TaskEnd {
        let view = try EventView.parse(json.text)
        guard let end = TaskEnd(view) else { throw ViewError("the event is not a task's end") }
        return end
    }
}

extension TaskEnd {
    /// The end of a task as `GET /v1/tasks/{ref}` shows it; nil while it is not terminal. The
    /// sequence is that of its terminal delivery.
    public init?(task: TaskView) {
        guard task.terminal, let word = task.status, let status = TaskStatus(rawValue: word), status.isTerminal,
            let provider = task.provider
        else { return nil }
        let ending = task.deliveries?.last { $0.applied && $0.status == word }
        self.init(
            sequence: UInt64(max(0, ending?.sequence ?? 0)), taskID: task.id, provider: provider, status: status,
            results: task.results ?? [], error: task.error, time: ending?.time ?? task.updated)
    }
}
