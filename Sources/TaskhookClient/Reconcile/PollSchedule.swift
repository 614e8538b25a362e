/// When each expected task is read next: a pure state machine of the reconciler's timing, its clock
/// and randomness passed in. It keeps the policy's bounds: at most `maxConcurrent` reads in flight,
/// each provider within its rate (a token bucket), a task that failed retried after an exponential,
/// jittered backoff, and a provider that answered 429/503 with `Retry-After` left alone that long.
public struct PollSchedule: Sendable {
    public let policy: PollPolicy
    var tasks: [String: Entry] = [:]
    var order: [String] = []
    var buckets: [String: Bucket] = [:]
    var pausedUntil: [String: Double] = [:]
    public private(set) var inFlight: Set<String> = []

    struct Entry: Sendable {
        var provider: String
        var due: Double
        var failures = 0
    }

    struct Bucket: Sendable {
        var tokens: Double
        var updated: Double
    }

    public init(policy: PollPolicy) { self.policy = policy }

    /// What a read found, as the schedule needs to know it.
    public enum Outcome: Sendable, Equatable {
        /// The task ended (or the provider says it is unknown for good): read no more.
        case finished
        /// Still running: read again after the poll interval.
        case running
        /// The read failed (timeout, 5xx, 429): back off; not before `retryAfter` when given.
        case failed(retryAfter: Double?)
    }

    public enum Step: Sendable, Equatable {
        case read(String)
        case wait(until: Double)
        case idle
    }

    public var isEmpty: Bool { tasks.isEmpty }

    /// Adds a task to read from `now` on (again: its timing is kept).
    public mutating func add(_ key: String, provider: String, now: Double) {
        add(key, provider: provider, due: now)
    }

    /// Adds a task to read from `due` on (again: its timing is kept).
    public mutating func add(_ key: String, provider: String, due: Double) {
        guard tasks[key] == nil else { return }
        tasks[key] = Entry(provider: provider, due: due)
        order.append(key)
    }

    public func contains(_ key: String) -> Bool { tasks[key] != nil }

    /// When `key` is read next (a backoff included), nil if it is not scheduled.
    public func due(_ key: String) -> Double? { tasks[key]?.due }

    /// Reads `key` no sooner than `time`: news of it came from elsewhere (a callback), so its quiet
    /// period starts again. An earlier due time is pushed back, a later one (a backoff) kept.
    public mutating func postpone(_ key: String, until time: Double) {
        guard var entry = tasks[key], entry.due < time else { return }
        entry.due = time
        tasks[key] = entry
    }

    /// Forgets `key` (it ended, or is no longer expected); a read in flight still reports.
    public mutating func remove(_ key: String) {
        guard tasks.removeValue(forKey: key) != nil else { return }
        order.removeAll { $0 == key }
    }

    /// The next read to start, or how long to wait for one.
    public mutating func next(now: Double) -> Step {
        guard !tasks.isEmpty else { return .idle }
        var earliest = Double.infinity
        guard inFlight.count < policy.maxConcurrent else { return .wait(until: .infinity) }
        for key in order {
            guard let entry = tasks[key], !inFlight.contains(key) else { continue }
            let ready = max(entry.due, pausedUntil[entry.provider] ?? 0, tokenTime(entry.provider, now: now))
            if ready <= now {
                take(entry.provider, now: now)
                inFlight.insert(key)
                return .read(key)
            }
            earliest = min(earliest, ready)
        }
        return .wait(until: earliest)
    }

    /// Records how the read of `key` went.
    public mutating func finished(_ key: String, _ outcome: Outcome, now: Double, unit: Double) {
        inFlight.remove(key)
        guard var entry = tasks[key] else { return }
        switch outcome {
        case .finished:
            tasks[key] = nil
            order.removeAll { $0 == key }
            return
        case .running:
            entry.failures = 0
            entry.due = now + policy.pollInterval
        case .failed(let retryAfter):
            entry.failures += 1
            entry.due = now + max(policy.backoff(attempt: entry.failures, unit: unit), retryAfter ?? 0)
            if let retryAfter {
                // A 429 speaks for the whole account: every task of that provider waits.
                pausedUntil[entry.provider] = max(pausedUntil[entry.provider] ?? 0, now + retryAfter)
            }
        }
        tasks[key] = entry
    }

    /// When the provider's bucket next has a whole token.
    func tokenTime(_ provider: String, now: Double) -> Double {
        let bucket = refilled(provider, now: now)
        return bucket.tokens >= 1 ? now : now + (1 - bucket.tokens) / policy.rate(for: provider)
    }

    func refilled(_ provider: String, now: Double) -> Bucket {
        guard let bucket = buckets[provider] else { return Bucket(tokens: policy.burst, updated: now) }
        let tokens = min(policy.burst, bucket.tokens + (now - bucket.updated) * policy.rate(for: provider))
        return Bucket(tokens: tokens, updated: now)
    }

    mutating func take(_ provider: String, now: Double) {
        var bucket = refilled(provider, now: now)
        bucket.tokens -= 1
        buckets[provider] = bucket
    }
}
