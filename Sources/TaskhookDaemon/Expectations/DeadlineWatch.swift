import Logging
import TaskhookCore
import TaskhookJournal
import TaskhookPosix
import TaskhookState

/// Ends what a job expected and never heard the end of: once a second, each awaited task past
/// its deadline gets a `deadline` record, and once that is durable the task ends `failed` with
/// `Expectation.deadlineReason` (waking its waiters); a registration never bound to a task id
/// by its deadline is dropped the same way. The record, not the clock, decides on replay, so a
/// restart ends exactly the tasks the running daemon ended.
final class DeadlineWatch {
    private let store: TaskStore
    private let recorder: DeliveryRecorder
    private let logger: Logger
    private let metrics: DaemonMetrics?
    private let clock: () -> Int64
    /// Deadline records handed to the writer and not yet durable: not journaled twice.
    private var inFlight: Set<DeadlineRecord> = []
    private(set) var reachedCount = 0

    init(
        store: TaskStore, recorder: DeliveryRecorder, logger: Logger, metrics: DaemonMetrics? = nil,
        clock: @escaping () -> Int64 = FileSystem.wallClockMilliseconds
    ) {
        self.metrics = metrics
        self.store = store
        self.recorder = recorder
        self.logger = logger
        self.clock = clock
    }

    func start(on loop: EventLoop) {
        loop.addRepeatingTimer(every: .seconds(1), first: loop.now) { [unowned self] in self.check() }
    }

    /// Journals a deadline record for each task and registration past its deadline.
    func check() {
        for record in store.table.deadlines(reachedBy: clock()) where !inFlight.contains(record) {
            inFlight.insert(record)
            recorder.record(.deadline, body: record.encoded) { [store] sequence, time in
                store.reachDeadline(record, sequence: sequence, time: time)
            } completion: { [unowned self] outcome in
                self.inFlight.remove(record)
                self.recorded(record, outcome)
            }
        }
    }

    private func recorded(_ record: DeadlineRecord, _ outcome: DeliveryRecorder.Outcome) {
        guard case .recorded(let sequence) = outcome else {
            // Tried again on the next check: the task is still awaited.
            logger.error("deadline record failed", metadata: ["deadline": "\(record)", "reason": "\(outcome)"])
            return
        }
        reachedCount += 1
        metrics?.deadlineReached()
        switch record {
        case .task(let key):
            logger.warning(
                "task reached its deadline with no callback and no status; failed",
                metadata: ["task": "\(key)", "journal_seq": "\(sequence)"])
        case .registration(let id):
            logger.warning(
                "registration reached its deadline without a task id (the submit that made it ended before binding one); dropped",
                metadata: ["registration": "\(id)", "journal_seq": "\(sequence)"])
        }
    }
}
