import TaskhookCore

/// A task as the control API shows it. At the end of a wait for a task the daemon has never
/// heard of, only `id`, `known: false` and `terminal: false` are present.
public struct TaskView: Sendable, Equatable {
    /// One callback (or other journaled fact) about the task.
    public struct Delivery: Sendable, Equatable {
        public var sequence: Int64
        public var status: String
        public var time: Int64
        public var applied: Bool
        public var deliveryID: String?
        /// How it was learnt: `callback`, `observation` (a status read) or `deadline`.
        public var source: String?

        public init(
            sequence: Int64, status: String, time: Int64, applied: Bool, deliveryID: String? = nil,
            source: String? = nil
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
    public var known: Bool?
    public var provider: String?
    public var status: String?
    public var terminal: Bool
    public var results: [String]?
    public var error: String?
    /// Milliseconds since the epoch, as are `updated` and a delivery's `time`.
    public var firstSeen: Int64?
    public var updated: Int64?
    public var deliveries: [Delivery]?
    /// The caller's own id for the task, where the provider echoes one (Kling) or a registration gave one.
    public var externalID: String?
    /// The key the daemon files it under, `provider:id`.
    public var key: String?
    /// When its latest report (or its registration) came, in milliseconds since the epoch.
    public var lastHeard: Int64?
    /// What the job that registered it expects (`taskhook expect`, `submit`); nil for a task only
    /// a callback told of.
    public var expected: Expectation?

    public init(
        id: String, known: Bool? = nil, provider: String? = nil, status: String? = nil, terminal: Bool,
        results: [String]? = nil, error: String? = nil, firstSeen: Int64? = nil, updated: Int64? = nil,
        deliveries: [Delivery]? = nil
    ) {
        self.id = id
        self.known = known
        self.provider = provider
        self.status = status
        self.terminal = terminal
        self.results = results
        self.error = error
        self.firstSeen = firstSeen
        self.updated = updated
        self.deliveries = deliveries
    }

    /// A task nothing has been heard of yet.
    public init(unknown id: String) {
        self.init(id: id, known: false, terminal: false)
    }

    /// The daemon has a record of the task.
    public var isKnown: Bool { known != false && status != nil }
    public var isCompleted: Bool { terminal && status == "completed" }
    /// What to call its state in a sentence or a status line.
    public var statusText: String { isKnown ? status ?? "unknown" : "not yet seen" }
}
