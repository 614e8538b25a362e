import TaskhookCore

/// The applied reports of the task table in a range of journal sequences, in sequence order, found
/// and handed out in bounded steps: an event stream's backlog (`since=0` asks for every report the
/// table keeps), which must never be built whole while the event loop waits.
///
/// A pass looks at the table a few shards at a time, and sorts each shard's reports in the range
/// on their own (a run); once every shard has been looked at, the runs are merged a page at a
/// time. A pass holds at most about `window` reports: it looks for those of the next `window`
/// sequences (a record applies one report, seldom more), and when more than twice that many are
/// found after all, it keeps the lowest sequences (`cutoff`); a later pass takes up from there.
/// So memory is bounded by the window and each step by its budget, whatever the size of the
/// table. A pass's reports are let go a slice per step (`retiring`), not all at once.
///
/// Each step reads the table as it is then, not a snapshot kept between steps (which would keep
/// a second copy of every shard changed meanwhile): a report handed out is looked up again, and
/// one whose task was forgotten since it was found is skipped. Reports made after the backlog
/// began have sequences beyond `through` (the table's last one then) and are not in it: they are
/// the live part of the stream.
public struct ReportBacklog {
    public typealias Entry = (task: TrackedTask, report: TrackedTask.Report)

    /// A report found by a pass: the task as it was then (looked up again by its key when handed
    /// out) and the report's place in its history. The packed task, not its key: making a key
    /// would allocate its strings for every report of the pass.
    private struct Found {
        var sequence: UInt64
        var task: PackedTask
        var index: Int
    }

    /// Everything up to here has been handed out, or is in the pass under way.
    public private(set) var after: UInt64
    /// The table's last sequence when the backlog began: where it ends.
    public let through: UInt64
    /// The tasks it is about (`?task=`); nil: every task.
    public let keys: [TaskKey]?
    private let window: Int

    // The pass under way.
    private var nextShard = 0
    /// The highest sequence this pass keeps: `through`, lowered when the window overflows.
    private var cutoff: UInt64
    private var runs: [[Found]] = []
    private(set) var found = 0
    /// The runs of a pass done, let go `releasedPerStep` reports at a time: each holds a task's
    /// buffer, and letting a window of them go at once (a cache miss apiece in a large table)
    /// held the loop 5 to 9 ms at a million tasks.
    private var retiring: [[Found]] = []
    private(set) var retiringCount = 0
    static let releasedPerStep = 4_096
    /// Once every shard was looked at: the runs' next positions, by sequence.
    private var heads = Self.noHeads
    private static var noHeads: MinHeap<(sequence: UInt64, run: Int, position: Int)> {
        MinHeap([]) { $0.sequence < $1.sequence }
    }

    public init(after: UInt64, through: UInt64, keys: [TaskKey]? = nil, window: Int = 65_536) {
        self.after = after
        self.through = through
        self.keys = keys
        self.window = max(1, window)
        cutoff = Self.passEnd(after: after, through: through, narrowed: keys != nil, window: self.window)
    }

    /// Where a pass starting at `after` stops: `window` sequences on (all of a narrowed backlog's,
    /// whose few tasks hold few reports), so that it seldom finds more than it keeps; lowering
    /// the cutoff once more than twice the window was found costs a search over every run.
    private static func passEnd(after: UInt64, through: UInt64, narrowed: Bool, window: Int) -> UInt64 {
        narrowed || through <= after || through - after <= UInt64(window) ? through : after + UInt64(window)
    }

    /// Nothing more to hand out, and the last pass's reports let go (so that dropping the
    /// backlog lets go of nothing large at once).
    public var isFinished: Bool { after >= through && retiring.isEmpty }

    private var isGathered: Bool { nextShard >= (keys == nil ? TaskTable.shardCount : 1) }

    /// One bounded step against `table`: looks at up to about `taskBudget` tasks (whole shards, at
    /// least one) and, once the pass has looked at all of them, hands out up to `limit` reports.
    public mutating func step(_ table: TaskTable, taskBudget: Int, limit: Int) -> [Entry] {
        releaseRetiring()
        guard after < through else { return [] }
        if !isGathered {
            gather(table, taskBudget: taskBudget)
            guard isGathered else { return [] }
            heads = Self.noHeads
            for (run, entries) in runs.enumerated() { heads.push((entries[0].sequence, run, 0)) }
        }
        var page: [Entry] = []
        while page.count < limit, let head = heads.popFirst() {
            let report = runs[head.run][head.position]
            if head.position + 1 < runs[head.run].count {
                heads.push((runs[head.run][head.position + 1].sequence, head.run, head.position + 1))
            }
            if let current = table.tasks.current(report.task), current.lastSequence >= report.sequence {
                let task = current.task
                if report.index < task.reports.count, task.reports[report.index].sequence == report.sequence {
                    page.append((task, task.reports[report.index]))
                }
            }
        }
        if heads.isEmpty {
            // The pass is done: the next one starts above what it kept.
            after = cutoff
            cutoff = Self.passEnd(after: after, through: through, narrowed: keys != nil, window: window)
            nextShard = 0
            retiringCount += found
            if retiring.isEmpty { swap(&retiring, &runs) } else { retiring += runs }
            runs = []
            found = 0
            releaseRetiring()  // a small backlog is let go of, and finished, at once
        }
        return page
    }

    private mutating func releaseRetiring() {
        var released = 0
        while released < Self.releasedPerStep, let run = retiring.popLast() { released += run.count }
        retiringCount -= released
    }

    private mutating func gather(_ table: TaskTable, taskBudget: Int) {
        var looked = 0
        if let keys {
            var run: [Found] = []
            for key in keys { if let task = table.tasks.packed(key) { collect(task, into: &run) } }
            add(run)
            nextShard = 1
            return
        }
        while nextShard < TaskTable.shardCount, looked < max(1, taskBudget) {
            let shard = table.tasks.shard(nextShard)
            nextShard += 1
            looked += shard.count
            var run: [Found] = []
            for task in shard.tasks { collect(task, into: &run) }
            add(run)
        }
    }

    private func collect(_ task: PackedTask, into run: inout [Found]) {
        guard after < cutoff else { return }
        task.forEachAppliedReport(in: (after + 1)...cutoff) { sequence, index in
            run.append(Found(sequence: sequence, task: task, index: index))
        }
    }

    private mutating func add(_ run: [Found]) {
        guard !run.isEmpty else { return }
        runs.append(run.sorted { $0.sequence < $1.sequence })
        found += run.count
        if found > 2 * window { keepLowest() }
    }

    /// Lowers the cutoff to the lowest sequence below which at least `window` reports were found,
    /// and drops the rest: each run is sorted, so how many lie at or below a sequence is a binary
    /// search per run, and the cutoff a binary search over sequences.
    private mutating func keepLowest() {
        func count(through sequence: UInt64) -> Int {
            runs.reduce(0) { $0 + Self.endIndex(of: $1, through: sequence) }
        }
        var low = after + 1
        var high = cutoff
        while low < high {
            let middle = low + (high - low) / 2
            if count(through: middle) >= window { high = middle } else { low = middle + 1 }
        }
        cutoff = low
        // In place: copying what is kept would move a window's worth of reports at once.
        for index in runs.indices { runs[index].removeSubrange(Self.endIndex(of: runs[index], through: low)...) }
        runs.removeAll { $0.isEmpty }
        found = runs.reduce(0) { $0 + $1.count }
    }

    /// The index after the last entry of a sorted run at or below `sequence`.
    private static func endIndex(of run: [Found], through sequence: UInt64) -> Int {
        var low = 0
        var high = run.count
        while low < high {
            let middle = (low + high) / 2
            if run[middle].sequence <= sequence { low = middle + 1 } else { high = middle }
        }
        return low
    }
}
