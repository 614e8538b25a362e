import TaskhookCore

/// One page of `GET /v1/tasks`: its tasks, each also as the daemon's JSON text, and where the
/// next page starts.
public struct TaskPage: Sendable, Equatable {
    public var tasks: [TaskView]
    /// Each task's JSON as the daemon wrote it (compact, members in its order).
    public var json: [String]
    /// A position the daemon issued, valid however the tasks change; nil on the last page.
    public var next: String?

    public init(tasks: [TaskView], json: [String], next: String?) {
        self.tasks = tasks
        self.json = json
        self.next = next
    }

    public static func parse(_ body: [UInt8]) throws(ControlError) -> TaskPage {
        try ViewError.reading(body) { json throws(ViewError) in
            let fields = try JSONFields(json, "the task listing")
            let elements = try fields.required("tasks", fields.array)
            var tasks: [TaskView] = []
            for element in elements { tasks.append(try TaskView(json: element)) }
            return TaskPage(tasks: tasks, json: elements.map(\.text), next: try fields.string("next"))
        }
    }
}
