import TaskhookCore

/// Freepik's Kling image-to-video callbacks: the GET-status answer without its `data` wrapper,
/// `{"task_id", "status", "generated": [url…]}`; the wrapped form is accepted too, unknown fields ignored.
public struct FreepikNormalizer: PayloadNormalizer {
    static let statuses: KeyValuePairs<String, TaskStatus> = [
        "CREATED": .created, "IN_PROGRESS": .inProgress, "COMPLETED": .completed, "FAILED": .failed,
    ]

    public init() {}

    public func normalize(_ callback: Callback) -> Normalized {
        do throws(PayloadProblem) {
            let task = try TaskObject(body: callback.body, unwrappingDataWithout: "task_id")
            let event = TaskEvent(
                taskID: try task.identifier("task_id"),
                provider: FreepikProfile.name,
                status: try task.status("status", provider: "Freepik", table: Self.statuses),
                results: (task["generated"]?.array ?? []).compactMap { $0.string })
            return .events([event], note: nil)
        } catch {
            return .unparsed(reason: error.reason)
        }
    }
}
