/// A job said it started this task and wants to learn how it ends (`taskhook submit`,
/// `taskhook expect`, `POST /v1/tasks`): where its status can be read when no callback comes, and
/// by when it must have ended. An expected task that is not terminal by its deadline ends
/// `failed` (see `Expectation.deadlineReason`), so every task a job starts through taskhook ends.
public struct Expectation: Sendable, Hashable {
    /// The seed endpoint it was started at (`freepik/kling-v2`, …): what its status is read with.
    public var endpoint: String?
    /// Where its status (and, for fal's queue, its result) is read.
    public var statusURL: String?
    public var resultURL: String?
    /// Unix milliseconds.
    public var deadline: Int64
    /// The caller's own tags, in the order given.
    public var labels: [Label]
    /// The registration made before the provider was called, when it was bound from one.
    public var registration: String?
    /// When it was registered (Unix milliseconds).
    public var registered: Int64

    public struct Label: Sendable, Hashable {
        public var name: String
        public var value: String
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    public init(
        endpoint: String? = nil, statusURL: String? = nil, resultURL: String? = nil, deadline: Int64,
        labels: [Label] = [], registration: String? = nil, registered: Int64
    ) {
        self.endpoint = endpoint
        self.statusURL = statusURL
        self.resultURL = resultURL
        self.deadline = deadline
        self.labels = labels
        self.registration = registration
        self.registered = registered
    }

    /// Puts `label` in `labels`: a name given again keeps its last value, in the place it was
    /// last given (the rule of a registration's JSON, of `--label` and of a repeated registration).
    public static func put(_ label: Label, into labels: inout [Label]) {
        labels.removeAll { $0.name == label.name }
        labels.append(label)
    }

    /// The error of a task that reached its deadline without terminal news.
    public static let deadlineReason = "deadline: no callback and no status"
}

/// A registration made before the provider was called (`taskhook submit` registers, then calls
/// the provider, then binds the task id the provider answered with): it has no task id yet.
public struct Registration: Sendable, Hashable {
    public var id: String
    /// The provider identity whose route will receive the task's callbacks.
    public var provider: String
    public var externalID: String?
    public var expectation: Expectation

    public init(id: String, provider: String, externalID: String? = nil, expectation: Expectation) {
        self.id = id
        self.provider = provider
        self.externalID = externalID
        self.expectation = expectation
    }
}
