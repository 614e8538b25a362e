/// What is known about one task: its latest status and every report a delivery made of it.
public struct TrackedTask: Sendable, Hashable {
    /// One report about the task in its history: a status some delivery (a callback) stated.
    public struct Report: Sendable, Hashable {
        /// The journal sequence of the record that carried it.
        public var sequence: UInt64
        public var status: TaskStatus
        /// Unix time in milliseconds.
        public var time: Int64
        /// False when it was recorded but did not change the task (a late non-terminal report).
        public var applied: Bool
        /// The provider's id for the delivery, where it sends one.
        public var deliveryID: String?

        public init(sequence: UInt64, status: TaskStatus, time: Int64, applied: Bool, deliveryID: String?) {
            self.sequence = sequence
            self.status = status
            self.time = time
            self.applied = applied
            self.deliveryID = deliveryID
        }
    }

    public var id: String
    public var provider: String
    public var status: TaskStatus
    public var results: [String]
    public var error: String?
    /// The caller's own id for the task, where the provider echoes one (Kling).
    public var externalID: String?
    /// Unix times in milliseconds.
    public var firstSeen: Int64
    public var updated: Int64
    public var reports: [Report]

    public init(
        id: String, provider: String, status: TaskStatus, results: [String], error: String?, firstSeen: Int64,
        updated: Int64, reports: [Report], externalID: String? = nil
    ) {
        self.id = id
        self.provider = provider
        self.status = status
        self.results = results
        self.error = error
        self.firstSeen = firstSeen
        self.updated = updated
        self.reports = reports
        self.externalID = externalID
    }

    /// Its key in the task table: (provider identity, id).
    public var key: TaskKey { TaskKey(provider: provider, id: id) }

    public var isTerminal: Bool { status.isTerminal }

    /// When its latest delivery arrived (Unix milliseconds): late or repeated deliveries count
    /// too, though they do not move `updated`.
    public var lastHeard: Int64 { max(updated, reports.last?.time ?? updated) }
}
