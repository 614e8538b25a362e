import TaskhookCore

/// One task change from the event stream's `data:` line.
public struct EventView: Sendable, Equatable {
    /// The journal sequence of the record that made the change.
    public var sequence: Int64
    public var taskID: String
    public var provider: String?
    public var status: String
    public var terminal: Bool
    /// The result URLs, once the task has completed.
    public var results: [String]
    public var error: String?
    /// Milliseconds since the epoch.
    public var time: Int64?

    public static func parse(_ data: String) throws(ViewError) -> EventView {
        let json: JSON
        do {
            json = try JSON.parse(Array(data.utf8))
        } catch {
            throw ViewError("the event is not JSON: \(error)")
        }
        let fields = try JSONFields(json, "the event")
        return EventView(
            sequence: try fields.required("sequence", fields.int64),
            taskID: try fields.required("task_id", fields.string), provider: try fields.string("provider"),
            status: try fields.required("status", fields.string),
            terminal: try fields.required("terminal", fields.bool), results: try fields.strings("results") ?? [],
            error: try fields.string("error"), time: try fields.int64("time"))
    }
}
