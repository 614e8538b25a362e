/// One status report about one task, as a provider's callback states it once normalized.
public struct TaskEvent: Sendable, Hashable {
    public var taskID: String
    public var provider: String
    public var status: TaskStatus
    /// Result URLs (videos), in the provider's order.
    public var results: [String]
    public var error: String?
    /// The caller's own id for the task, where the provider echoes one (Kling's
    /// `task_info.external_task_id`).
    public var externalID: String?

    public init(
        taskID: String, provider: String, status: TaskStatus, results: [String] = [], error: String? = nil,
        externalID: String? = nil
    ) {
        self.taskID = taskID
        self.provider = provider
        self.status = status
        self.results = results
        self.error = error
        self.externalID = externalID
    }

    /// The task it reports on.
    public var key: TaskKey { TaskKey(provider: provider, id: taskID) }

    /// What makes a delivery a duplicate: the provider's delivery id where it sends one,
    /// else the (provider, task, status) triple.
    public func dedupeKey(deliveryID: String?) -> String {
        if let deliveryID, !deliveryID.isEmpty {
            return "\(provider)\u{1F}id\u{1F}\(deliveryID)\u{1F}\(taskID)"
        }
        return "\(provider)\u{1F}task\u{1F}\(taskID)\u{1F}\(status.rawValue)"
    }
}
