/// What the ledger's records add up to: the cursor, and for each job (an action for a task end)
/// its attempts so far. A pure value: records in, state out; `LedgerFile` reads and writes it.
public struct ActionLedger: Sendable, Equatable {
    /// One job's history.
    public struct Job: Sendable, Equatable {
        /// The task end it acts on (from its latest `started` record).
        public var end: TaskEnd?
        /// Attempts started, counting one the runner died in.
        public var starts = 0
        /// Attempts that ended (with any outcome).
        public var finishes = 0
        /// Attempts that ended in anything but success.
        public var failures = 0
        public var lastStart: (attempt: Int, time: Int64)?
        public var lastFinish: (attempt: Int, time: Int64, outcome: AttemptOutcome)?
        public var isFinal = false
        /// Its records, for rewriting the ledger while it is not final (then only the last is kept).
        var records: [LedgerRecord] = []

        /// Attempts that started and never ended: the runner died while they ran.
        public var interrupted: Int { starts - finishes }

        /// Whether the newest attempt is one that started and never ended.
        public var lastAttemptInterrupted: Bool {
            guard let lastStart else { return false }
            return lastStart.attempt > (lastFinish?.attempt ?? 0)
        }

        public static func == (a: Job, b: Job) -> Bool { a.records == b.records && a.isFinal == b.isFinal }
    }

    /// Every task end up to this journal sequence has been dealt with.
    public private(set) var cursor: UInt64 = 0
    /// Whether a cursor was ever written: a ledger without one has never started.
    public private(set) var hasCursor = false
    public private(set) var jobs: [JobKey: Job] = [:]
    /// The jobs not final yet.
    public private(set) var pending: Set<JobKey> = []

    public init() {}

    public init(_ records: [LedgerRecord]) {
        for record in records { apply(record) }
    }

    public mutating func apply(_ record: LedgerRecord) {
        switch record {
        case .cursor(let sequence):
            cursor = max(cursor, sequence)
            hasCursor = true
        case .started(let key, let attempt, let time, let end):
            var job = jobs[key] ?? Job()
            job.end = end
            job.starts = max(job.starts + 1, attempt)
            job.lastStart = (attempt, time)
            job.records.append(record)
            if !job.isFinal { pending.insert(key) }
            jobs[key] = job
        case .finished(let key, let attempt, let time, let outcome, let final):
            var job = jobs[key] ?? Job()
            job.finishes += 1
            job.starts = max(job.starts, attempt)
            if outcome.kind != .succeeded { job.failures += 1 }
            job.lastFinish = (attempt, time, outcome)
            job.records.append(record)
            if final {
                job.isFinal = true
                job.records = [record]
                pending.remove(key)
            } else {
                pending.insert(key)
            }
            jobs[key] = job
        }
    }

    /// The lowest journal sequence a job not final yet acts on.
    public var lowestPendingSequence: UInt64? { pending.map(\.sequence).min() }

    /// The records that rebuild this state, shortened: the cursor; every record of a job not
    /// final; the last record of each final job past the cursor (a redelivered event must find
    /// it done); and the final records of the `history` most recent jobs at or before the cursor,
    /// for `taskhook actions list`.
    public func compacted(history: Int) -> [LedgerRecord] {
        var out: [LedgerRecord] = hasCursor ? [.cursor(cursor)] : []
        var old: [(time: Int64, key: JobKey)] = []
        for (key, job) in jobs {
            if job.isFinal && key.sequence <= cursor {
                old.append((job.lastFinish?.time ?? 0, key))
            }
        }
        let kept = Set(old.sorted { ($0.time, $0.key) > ($1.time, $1.key) }.prefix(history).map(\.key))
        let ordered = jobs.keys.sorted()
        for key in ordered where key.sequence > cursor || kept.contains(key) {
            out += jobs[key]!.records
        }
        return out
    }
}
