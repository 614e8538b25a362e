import TaskhookCore

/// One action: which task ends it runs on, what it does, and how long and how often it may try.
public struct ActionDefinition: Sendable, Equatable {
    /// What the action does.
    public enum Work: Sendable, Equatable {
        /// A program run with these arguments (execve, never a shell), the task's JSON on its
        /// standard input and the task in its environment (`CommandInvocation`).
        case command(arguments: [String], environment: [String: String], passEnvironment: [String])
        /// Every result URL downloaded into `directory`/PROVIDER/TASK-ID/ (`ResultFetcher`).
        case fetch(directory: String)
    }

    /// `[a-z0-9_-]`, at most 64: it names journald fields, metrics labels and ledger entries.
    public var name: String
    public var trigger: ActionTrigger
    public var work: Work
    /// One attempt's limit; a command still running then is sent SIGTERM, SIGKILL 5 s later.
    public var timeout: Duration
    public var retry: RetryPolicy

    public init(name: String, trigger: ActionTrigger, work: Work, timeout: Duration, retry: RetryPolicy) {
        self.name = name
        self.trigger = trigger
        self.work = work
        self.timeout = timeout
        self.retry = retry
    }

    public static let defaultTimeout = Duration.seconds(600)
}

/// The task ends an action runs on: terminal statuses, optionally of some providers only.
public struct ActionTrigger: Sendable, Equatable {
    public var statuses: Set<TaskStatus>
    /// Provider identities (a route's `provider`, or a standard-webhooks route's `name`); empty: any.
    public var providers: [String]

    public init(statuses: Set<TaskStatus>, providers: [String] = []) {
        self.statuses = statuses
        self.providers = providers
    }

    public func matches(_ end: TaskEnd) -> Bool {
        statuses.contains(end.status) && (providers.isEmpty || providers.contains(end.provider))
    }

    /// The words `on:` takes: a terminal status, or `any` for all three.
    public static func statuses(named word: String) -> Set<TaskStatus>? {
        if word == "any" { return [.completed, .failed, .canceled] }
        guard let status = TaskStatus(rawValue: word), status.isTerminal else { return nil }
        return [status]
    }

    public static let statusWords = "completed, failed, canceled or any"
}

/// How often a failed action is tried again, and how long it waits in between.
public struct RetryPolicy: Sendable, Equatable {
    /// Attempts after the first failed one.
    public var retries: Int
    /// The wait after the first failure; doubled after each further one.
    public var backoff: Duration
    /// The longest wait.
    public var maxBackoff: Duration

    public init(retries: Int, backoff: Duration = .seconds(10), maxBackoff: Duration = .seconds(600)) {
        self.retries = retries
        self.backoff = backoff
        self.maxBackoff = maxBackoff
    }

    /// The wait before the next attempt after `failures` failed ones (1: `backoff`, 2: twice
    /// that, …, never more than `maxBackoff`). No jitter: an action's retries are a handful of
    /// local processes, not a crowd of clients against one server.
    public func delay(afterFailures failures: Int) -> Duration {
        guard failures > 0 else { return .zero }
        var delay = backoff
        for _ in 1..<min(failures, 40) {
            delay *= 2
            if delay >= maxBackoff { return maxBackoff }
        }
        return min(delay, maxBackoff)
    }

    /// Whether another attempt is allowed after `failures` failed ones.
    public func allowsAttempt(afterFailures failures: Int) -> Bool { failures <= retries }
}
