/// What is known about one task: its latest status, every report made of it, and, when a job
/// registered it, what that job expects.
public struct TrackedTask: Sendable, Hashable {
    /// One report about the task in its history: a status a callback, a status read or the
    /// task's deadline stated.
    public struct Report: Sendable, Hashable {
        /// What made the report.
        public enum Source: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
            /// The provider's callback.
            case callback = 0
            /// A status read by `taskhook reconcile` (an `observation` record).
            case observation = 1
            /// The task's deadline passed with no terminal news (a `deadline` record).
            case deadline = 2

            public var description: String {
                switch self {
                case .callback: "callback"
                case .observation: "observation"
                case .deadline: "deadline"
                }
            }
        }

        /// The journal sequence of the record that carried it.
        public var sequence: UInt64
        public var status: TaskStatus
        /// Unix time in milliseconds.
        public var time: Int64
        /// False when it was recorded but did not change the task (a late non-terminal report).
        public var applied: Bool
        /// The provider's id for the delivery, where it sends one.
        public var deliveryID: String?
        public var source: Source

        public init(
            sequence: UInt64, status: TaskStatus, time: Int64, applied: Bool, deliveryID: String?,
            source: Source = .callback
        ) {
            self.sequence = sequence
            self.status = status
            self.time = time
            self.applied = applied
            self.deliveryID = deliveryID
            self.source = source
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
    /// What the job that registered it expects (nil for a task known only from callbacks).
    public var expectation: Expectation?

    public init(
        id: String, provider: String, status: TaskStatus, results: [String], error: String?, firstSeen: Int64,
        updated: Int64, reports: [Report], externalID: String? = nil, expectation: Expectation? = nil
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
        self.expectation = expectation
    }

    /// Its key in the task table: (provider identity, id).
    public var key: TaskKey { TaskKey(provider: provider, id: id) }

    public var isTerminal: Bool { status.isTerminal }

    /// Whether a job expects it and it has not ended: the reconciler reads it and its deadline
    /// still applies.
    public var isAwaited: Bool { expectation != nil && !isTerminal }

    /// When its latest delivery arrived (Unix milliseconds): late or repeated deliveries count
    /// too, though they do not move `updated`.
    public var lastHeard: Int64 { max(updated, reports.last?.time ?? updated) }
}
