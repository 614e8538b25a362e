import TaskhookCore

/// Kling's own API callback (api.klingai.com): `{"task_id", "task_status", "task_status_msg",
/// "task_result": {"videos": [{"url"}…]}}`, bare or inside the poll answer's `{"code", "data": {…}}`.
public struct KlingNormalizer: PayloadNormalizer {
    static let statuses: KeyValuePairs<String, TaskStatus> = [
        "submitted": .created, "processing": .inProgress, "succeed": .completed, "failed": .failed,
    ]

    public init() {}

    public func normalize(_ callback: Callback) -> Normalized {
        do throws(PayloadProblem) {
            let task = try TaskObject(body: callback.body, unwrappingDataWithout: "task_id")
            let taskID = try task.identifier("task_id")
            let status = try task.status("task_status", provider: "Kling", table: Self.statuses)
            let videos = task["task_result"]?["videos"]?.array ?? []
            let event = TaskEvent(
                taskID: taskID,
                provider: KlingProfile.name,
                status: status,
                results: videos.compactMap { $0["url"]?.string },
                error: status == .failed ? task.text("task_status_msg") : nil)
            return .events([event], note: nil)
        } catch {
            return .unparsed(reason: error.reason)
        }
    }
}
