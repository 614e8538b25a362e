import TaskhookPosix

/// The runner's decisions, as a pure state machine: task ends, finished attempts and the time
/// in; attempts to start and ledger records to write out. The shell writes (and syncs) the
/// records a call returns before it acts on them: a `started` record before the attempt starts.
///
/// What this guarantees, given that:
/// - every task end past the cursor gets each matching action (at least once: the cursor stays
///   below every job not final, so a restart hears of them again, and a started job carries its
///   task end in the ledger);
/// - a job runs at most `1 + retries` times, plus once more if the runner died while an attempt
///   ran (the attempt count is written before each start); a second such death ends the job as
///   `abandoned`. So an action whose command was running when the runner was SIGKILLed runs
///   again once after the restart, and never a third time unless retries allow it.
/// - attempts never exceed `concurrency` at once; retries wait `backoff`, doubled each time.
public struct ActionScheduler: Sendable {
    /// An attempt to start now.
    public struct Start: Sendable, Equatable {
        public var key: JobKey
        /// 1 for the first.
        public var attempt: Int
        public var end: TaskEnd
        public var action: ActionDefinition
    }

    public let configuration: ActionsConfiguration
    public private(set) var ledger: ActionLedger
    /// Jobs that may start, in the order they became ready, with the task end each acts on.
    private var ready: [(key: JobKey, end: TaskEnd)] = []
    /// Jobs waiting out a backoff: when each may start, Unix milliseconds.
    private var waiting: [JobKey: Int64] = [:]
    public private(set) var running: Set<JobKey> = []
    /// The highest journal sequence heard of in this run.
    private var highestSeen: UInt64 = 0

    /// Picks up where `ledger` left off; `restore` then says what becomes of its unfinished jobs.
    public init(configuration: ActionsConfiguration, ledger: ActionLedger) {
        self.configuration = configuration
        self.ledger = ledger
    }

    /// The ledger's unfinished jobs, after a restart: one the runner died in runs again now
    /// (once), one waiting out a backoff waits the rest of it, one that can run no more is ended.
    public mutating func restore(now: Int64) -> [LedgerRecord] {
        var records: [LedgerRecord] = []
        for key in ledger.pending.sorted() {
            let job = ledger.jobs[key]!
            guard let action = configuration.action(named: key.action), let end = job.end else {
                records.append(
                    finish(key, job, AttemptOutcome(kind: .abandoned, error: "the action is no longer configured"), now)
                )
                continue
            }
            if job.interrupted >= 2 {
                let reason = "the runner stopped twice while it ran; not run again"
                records.append(finish(key, job, AttemptOutcome(kind: .abandoned, error: reason), now))
            } else if job.lastAttemptInterrupted {
                ready.append((key, end))
            } else if let last = job.lastFinish, action.retry.allowsAttempt(afterFailures: job.failures) {
                waiting[key] = last.time + action.retry.delay(afterFailures: job.failures).milliseconds
            } else {
                // Fewer retries configured than when it failed: what it had is the end of it.
                let outcome = job.lastFinish?.outcome ?? AttemptOutcome(kind: .abandoned)
                records.append(finish(key, job, outcome, now))
            }
        }
        return records + advanceCursor()
    }

    private mutating func finish(_ key: JobKey, _ job: ActionLedger.Job, _ outcome: AttemptOutcome, _ now: Int64)
        -> LedgerRecord
    {
        let record = LedgerRecord.finished(key, attempt: max(job.starts, 1), time: now, outcome: outcome, final: true)
        ledger.apply(record)
        return record
    }

    /// A task end from the event stream: its matching actions become ready, unless the ledger
    /// has them already (an event heard again after a reconnect or a restart).
    public mutating func receive(_ end: TaskEnd) -> [LedgerRecord] {
        highestSeen = max(highestSeen, end.sequence)
        guard end.sequence > ledger.cursor else { return [] }
        for action in configuration.actions where action.trigger.matches(end) {
            let key = JobKey(sequence: end.sequence, task: end.key.description, action: action.name)
            guard ledger.jobs[key] == nil, !ready.contains(where: { $0.key == key }) else { continue }
            ready.append((key, end))
        }
        return advanceCursor()
    }

    /// The attempts to start now, within the concurrency bound, and their `started` records.
    public mutating func start(now: Int64) -> (starts: [Start], records: [LedgerRecord]) {
        for (key, due) in waiting.sorted(by: { ($0.value, $0.key) < ($1.value, $1.key) }) where due <= now {
            waiting[key] = nil
            if let end = ledger.jobs[key]?.end { ready.append((key, end)) }
        }
        var starts: [Start] = []
        var records: [LedgerRecord] = []
        while running.count < configuration.concurrency, !ready.isEmpty {
            let (key, end) = ready.removeFirst()
            guard let action = configuration.action(named: key.action) else { continue }
            let attempt = (ledger.jobs[key]?.starts ?? 0) + 1
            let record = LedgerRecord.started(key, attempt: attempt, time: now, end: end)
            ledger.apply(record)
            records.append(record)
            running.insert(key)
            starts.append(Start(key: key, attempt: attempt, end: end, action: action))
        }
        return (starts, records)
    }

    /// An attempt ended: its record, final when it succeeded or no retry is left; otherwise the
    /// job waits its backoff.
    public mutating func finished(_ key: JobKey, attempt: Int, outcome: AttemptOutcome, now: Int64) -> [LedgerRecord] {
        running.remove(key)
        let failures = (ledger.jobs[key]?.failures ?? 0) + (outcome.kind == .succeeded ? 0 : 1)
        let retry = configuration.action(named: key.action)?.retry ?? RetryPolicy(retries: 0)
        let final = outcome.kind == .succeeded || !retry.allowsAttempt(afterFailures: failures)
        let record = LedgerRecord.finished(key, attempt: attempt, time: now, outcome: outcome, final: final)
        ledger.apply(record)
        if !final { waiting[key] = now + retry.delay(afterFailures: failures).milliseconds }
        return [record] + advanceCursor()
    }

    /// When the next waiting job may start (Unix milliseconds), if one waits.
    public var nextDue: Int64? { waiting.values.min() }

    /// When a job waiting out its backoff may start again.
    public func due(_ key: JobKey) -> Int64? { waiting[key] }

    /// Jobs waiting for a free slot or out a backoff.
    public var queued: Int { ready.count + waiting.count }

    /// Moves the cursor up to just below the lowest job not final and below the highest sequence
    /// heard of (one callback may end several tasks, each its own event with the same id, and
    /// the next may still be on its way).
    private mutating func advanceCursor() -> [LedgerRecord] {
        guard highestSeen > 0 else { return [] }
        var candidate = highestSeen - 1
        let lowest = [ledger.lowestPendingSequence, ready.map(\.key.sequence).min()].compactMap { $0 }.min()
        if let lowest { candidate = min(candidate, lowest > 0 ? lowest - 1 : 0) }
        guard candidate > ledger.cursor || (!ledger.hasCursor && candidate == ledger.cursor) else { return [] }
        let record = LedgerRecord.cursor(candidate)
        ledger.apply(record)
        return [record]
    }

    /// The first start's cursor: nothing up to `sequence` is acted on.
    public mutating func begin(at sequence: UInt64) -> [LedgerRecord] {
        let record = LedgerRecord.cursor(sequence)
        ledger.apply(record)
        return [record]
    }
}
