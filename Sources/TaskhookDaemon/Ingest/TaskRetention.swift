import Logging
import TaskhookCore
import TaskhookJournal
import TaskhookPosix
import TaskhookState

/// Forgets tasks not heard of within the task retention, deterministically from the journal:
/// a `forget` record (its cutoff) is journaled, and once it is durable the tasks it names are
/// forgotten as a replay of it would forget them, so the table after a restart is the table
/// before it.
///
/// The forgetting itself goes a slice of shards per loop iteration (`defaultSlice`, by time), so a
/// table of a million tasks never holds the loop for one pass. Two rules keep that equal to a
/// replay, which forgets every such task at once at the record's place: a task is forgotten
/// only if nothing after the record spoke of it, and a task that a later delivery is about to
/// change, in a shard not swept yet, has its shard swept first. Checkpoints wait for the sweep
/// to end (`isSweeping`), so none holds a half-forgotten table.
final class TaskRetention {
    private let writer: GroupCommitWriter
    private let store: TaskStore
    private let retentionMilliseconds: Int64
    private let logger: Logger
    private weak var loop: EventLoop?
    /// The `forget` record being written: its ticket and cutoff.
    private var staged: (ticket: UInt64, cutoff: Int64)?
    /// The sweep under way: the record's sequence and cutoff, and the next shard to look at.
    private var sweep: (record: UInt64, cutoff: Int64, next: Int, forgotten: Int)?
    /// Shards ahead of the sweep that `prepare` swept already: the sweep passes them over.
    private var sweptAhead: Set<Int> = []
    /// A look for any task past the retention, before a record is journaled: its cutoff and
    /// the next shard to look at (read-only, a slice per loop iteration like the sweep).
    private var probe: (cutoff: Int64, next: Int)?
    /// How long a slice of a look or a sweep goes on, shard by shard (at least one; about 250
    /// tasks at a million, each a cache miss). By time, not by count: 64 shards, "well under a
    /// millisecond" on a quiet machine, held the loop 11 ms at 1.2 million tasks on a busy one
    /// (bench/hostile.sh, at every start: the first look runs then).
    static let defaultSlice = Duration.microseconds(500)
    let sliceTime: Duration

    init(
        writer: GroupCommitWriter, store: TaskStore, retentionSeconds: Int64, sliceTime: Duration = defaultSlice,
        logger: Logger
    ) {
        self.writer = writer
        self.sliceTime = sliceTime
        self.store = store
        retentionMilliseconds =
            retentionSeconds.multipliedReportingOverflow(by: 1000).overflow ? .max : retentionSeconds * 1000
        self.logger = logger
    }

    var isSweeping: Bool { sweep != nil }

    /// Journals a forget record now and then hourly. A checkpoint may hold tasks past their
    /// retention: the forget record after it forgets them again at replay.
    func start(on loop: EventLoop) {
        self.loop = loop
        loop.addRepeatingTimer(every: .seconds(3600), first: loop.now) { [unowned self] in self.forgetExpired() }
    }

    /// Looks for a task last heard of before `now` minus the retention (a slice of shards per
    /// loop iteration) and, on finding one, stages a `forget` record for that cutoff; nothing
    /// is journaled when no task is that old. Nothing happens while a look, a record or a
    /// sweep is under way.
    func forgetExpired(now: Int64 = FileSystem.wallClockMilliseconds()) {
        let (cutoff, overflow) = now.subtractingReportingOverflow(retentionMilliseconds)
        guard !overflow, probe == nil, staged == nil, sweep == nil else { return }
        probe = (cutoff, 0)
        guard let loop else {
            while probe != nil { look(now: now) }  // no loop (tests): the whole look now
            return
        }
        scheduleLook(on: loop, now: now)
    }

    private func scheduleLook(on loop: EventLoop, now: Int64) {
        loop.schedule(at: loop.now + .microseconds(1)) { [unowned self] in
            self.look(now: now)
            if self.probe != nil, let loop = self.loop { self.scheduleLook(on: loop, now: now) }
        }
    }

    private func look(now: Int64) {
        guard let (cutoff, first) = probe else { return }
        var found = false
        let end = shards(from: first) { shard in
            found = store.table.hasTask(lastHeardBefore: cutoff, inShard: shard)
            return found
        }
        guard found || end == TaskTable.shardCount else {
            probe = (cutoff, end)
            return
        }
        probe = nil
        guard found else { return }
        let ticket = writer.stage(kind: .forget, time: now, body: JournalReplay.forgetBody(lastHeardBefore: cutoff))
        staged = (ticket, cutoff)
    }

    /// Whether `ticket` is the forget record's: its outcome is taken here.
    func owns(_ ticket: UInt64) -> Bool { staged?.ticket == ticket }

    /// The forget record is durable at `sequence`: the sweep begins.
    func durable(at sequence: UInt64) {
        guard let (_, cutoff) = staged else { return }
        staged = nil
        store.advance(to: sequence)
        sweep = (sequence, cutoff, 0, 0)
        sweptAhead = []
        guard let loop else {
            while sweep != nil { slice() }  // no loop (tests): the whole sweep now
            return
        }
        scheduleSlice(on: loop)
    }

    func failed(_ error: JournalError) {
        staged = nil  // tried again within the hour
        logger.warning("forgetting expired tasks failed", metadata: ["reason": "\(error)"])
    }

    /// Before `events` change the store: a task in a shard the sweep has not reached, which
    /// the forget record forgot, is forgotten now (its shard swept), as a replay would have.
    func prepare(_ events: [TaskEvent]) {
        guard let (record, cutoff, next, _) = sweep else { return }
        for event in events {
            let shard = TaskTable.shard(of: event.key)
            guard shard >= next, sweptAhead.insert(shard).inserted else { continue }
            sweep?.forgotten += store.forgetTasks(lastHeardBefore: cutoff, inShard: shard, recordedBefore: record)
        }
    }

    /// Ends a sweep under way now (the last checkpoint at shutdown must not hold a half-forgotten
    /// table).
    func finishSweep() {
        while sweep != nil { slice() }
    }

    /// Just after `now`, so the slice runs in the loop's next round of timers, not in the
    /// round that is firing now (which would run the whole sweep at once).
    private func scheduleSlice(on loop: EventLoop) {
        loop.schedule(at: loop.now + .microseconds(1)) { [unowned self] in
            self.slice()
            if self.sweep != nil, let loop = self.loop { self.scheduleSlice(on: loop) }
        }
    }

    /// One slice of a look or a sweep: `body` for each shard from `first` on, at least one,
    /// until it returns true (done early), the table's last shard, or `sliceTime`; returns the
    /// shard after the last one done.
    private func shards(from first: Int, _ body: (Int) -> Bool) -> Int {
        let started = Instant.now()
        var shard = first
        var done = false
        repeat {
            done = body(shard)
            shard += 1
        } while !done && shard < TaskTable.shardCount && Instant.now() - started < sliceTime
        return shard
    }

    private func slice() {
        guard var current = sweep else { return }
        let end = shards(from: current.next) { shard in
            if !sweptAhead.contains(shard) {
                current.forgotten += store.forgetTasks(
                    lastHeardBefore: current.cutoff, inShard: shard, recordedBefore: current.record)
            }
            return false
        }
        current.next = end
        guard end == TaskTable.shardCount else {
            sweep = current
            return
        }
        sweep = nil
        sweptAhead = []
        if current.forgotten > 0 {
            logger.info(
                "forgot tasks not heard of within the task retention",
                metadata: [
                    "count": "\(current.forgotten)", "remaining": "\(store.table.count)",
                    "journal_seq": "\(current.record)",
                ])
        }
    }
}
