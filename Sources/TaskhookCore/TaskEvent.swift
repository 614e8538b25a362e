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
        if let deliveryID, !deliveryID.isEmpty { return Self.joined(provider, "id", deliveryID, taskID) }
        return Self.joined(provider, "task", taskID, status.rawValue)
    }

    /// The four pieces separated by U+001F, appended into room made once: made for every
    /// callback, an interpolation of them cost about 2,000 instructions.
    private static func joined(_ a: String, _ b: String, _ c: String, _ d: String) -> String {
        var key = ""
        key.reserveCapacity(a.utf8.count + b.utf8.count + c.utf8.count + d.utf8.count + 3)
        key += a
        key += "\u{1F}"
        key += b
        key += "\u{1F}"
        key += c
        key += "\u{1F}"
        key += d
        return key
    }
}
