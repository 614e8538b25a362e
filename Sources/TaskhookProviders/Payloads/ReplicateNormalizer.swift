import TaskhookCore

/// Replicate's prediction object: `{"id", "status", "output", "error", …}`; `output` is a URL, a list of
/// URLs, or (for some models) an object holding them.
public struct ReplicateNormalizer: PayloadNormalizer {
    /// `aborted` is newer than Replicate's webhook docs (replicate-python #460); it ends a prediction
    /// without a result, as `canceled` does.
    static let statuses: KeyValuePairs<String, TaskStatus> = [
        "starting": .created, "processing": .inProgress, "succeeded": .completed, "failed": .failed,
        "canceled": .canceled, "aborted": .canceled,
    ]

    public init() {}

    public func normalize(_ callback: Callback) -> Normalized {
        do throws(PayloadProblem) {
            let task = try TaskObject(body: callback.body)
            let event = TaskEvent(
                taskID: try task.identifier("id"),
                provider: ReplicateProfile.name,
                status: try task.status("status", provider: "Replicate", table: Self.statuses),
                results: TaskObject.httpURLs(in: [task["output"] ?? .null]),
                error: task.text("error"))
            return .events([event], note: nil)
        } catch {
            return .unparsed(reason: error.reason)
        }
    }
}
