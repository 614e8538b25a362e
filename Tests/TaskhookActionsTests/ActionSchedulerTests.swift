import TaskhookCore
import Testing

@testable import TaskhookActions

@Suite struct ActionSchedulerTests {
    static func action(_ name: String, retries: Int = 0, on statuses: Set<TaskStatus> = [.completed])
        -> ActionDefinition
    {
        ActionDefinition(
            name: name, trigger: ActionTrigger(statuses: statuses),
            work: .command(arguments: ["/bin/true"], environment: [:], passEnvironment: []), timeout: .seconds(60),
            retry: RetryPolicy(retries: retries, backoff: .seconds(10), maxBackoff: .seconds(60)))
    }

    static func configuration(_ actions: [ActionDefinition], concurrency: Int = 4) -> ActionsConfiguration {
        var configuration = ActionsConfiguration(actions: actions)
        configuration.concurrency = concurrency
        return configuration
    }

    static func end(_ sequence: UInt64, _ id: String = "t", _ status: TaskStatus = .completed) -> TaskEnd {
        TaskEnd(sequence: sequence, taskID: id, provider: "freepik", status: status)
    }

    let ok = AttemptOutcome(kind: .succeeded, exitStatus: 0)
    let failed = AttemptOutcome(kind: .failed, exitStatus: 3, error: "exit status 3")

    /// A runner's life: the ledger it wrote (every record, in order), replayed on the next start.
    struct Life {
        var written: [LedgerRecord] = []
        var scheduler: ActionScheduler

        init(_ configuration: ActionsConfiguration, records: [LedgerRecord] = [], now: Int64 = 0) {
            scheduler = ActionScheduler(configuration: configuration, ledger: ActionLedger(records))
            written = records
            written += scheduler.restore(now: now)
            if !scheduler.ledger.hasCursor { written += scheduler.begin(at: 0) }
        }

        mutating func receive(_ end: TaskEnd) { written += scheduler.receive(end) }

        mutating func start(_ now: Int64) -> [ActionScheduler.Start] {
            let (starts, records) = scheduler.start(now: now)
            written += records
            return starts
        }

        mutating func finish(_ start: ActionScheduler.Start, _ outcome: AttemptOutcome, _ now: Int64) {
            written += scheduler.finished(start.key, attempt: start.attempt, outcome: outcome, now: now)
        }

        /// The next start, after a crash: only what was written survives.
        func restarted(_ configuration: ActionsConfiguration, now: Int64) -> Life {
            Life(configuration, records: written, now: now)
        }
    }

    @Test func aMatchingEndRunsEachActionOnceAndAnEventHeardAgainChangesNothing() {
        var life = Life(Self.configuration([Self.action("a"), Self.action("b", on: [.failed])]))
        life.receive(Self.end(5))
        let starts = life.start(0)
        #expect(starts.map(\.key) == [JobKey(sequence: 5, task: "freepik:t", action: "a")])
        #expect(starts.first?.attempt == 1)
        life.finish(starts[0], ok, 1)
        life.receive(Self.end(5))
        #expect(life.start(2).isEmpty)
        // Restarted, it hears the event again (the cursor stays below the newest sequence heard).
        var next = life.restarted(Self.configuration([Self.action("a"), Self.action("b", on: [.failed])]), now: 3)
        #expect(next.scheduler.ledger.cursor == 4)
        next.receive(Self.end(5))
        #expect(next.start(4).isEmpty)
    }

    @Test func theCursorPassesEndsNoActionWantsAndWaitsBelowOnesNotFinal() {
        var life = Life(Self.configuration([Self.action("a")]))
        life.receive(Self.end(3, "x", .failed))
        life.receive(Self.end(4, "y", .canceled))
        #expect(life.scheduler.ledger.cursor == 3)
        life.receive(Self.end(6, "z"))
        let starts = life.start(0)
        life.receive(Self.end(9, "w", .failed))
        #expect(life.scheduler.ledger.cursor == 5)  // below z's job, still running
        life.finish(starts[0], ok, 1)
        #expect(life.scheduler.ledger.cursor == 8)  // below the newest sequence heard
    }

    @Test func noMoreThanTheBoundRunAtOnce() {
        var life = Life(Self.configuration([Self.action("a")], concurrency: 2))
        for sequence in 1...5 { life.receive(Self.end(UInt64(sequence), "t\(sequence)")) }
        let first = life.start(0)
        #expect(first.count == 2)
        #expect(life.start(0).isEmpty)
        life.finish(first[0], ok, 1)
        #expect(life.start(1).map(\.key.sequence) == [3])
        #expect(life.scheduler.queued == 2)
    }

    @Test func aFailureIsRetriedAfterItsBackoffDoubledAndEndsWhenNoRetryIsLeft() {
        var life = Life(Self.configuration([Self.action("a", retries: 2)]))
        life.receive(Self.end(1))
        var start = life.start(0)[0]
        life.finish(start, failed, 1_000)
        #expect(life.scheduler.nextDue == 11_000)
        #expect(life.start(10_999).isEmpty)
        start = life.start(11_000)[0]
        #expect(start.attempt == 2)
        life.finish(start, failed, 12_000)
        #expect(life.scheduler.nextDue == 32_000)
        start = life.start(32_000)[0]
        #expect(start.attempt == 3)
        #expect(life.scheduler.ledger.cursor == 0)
        life.finish(start, failed, 33_000)
        #expect(life.scheduler.ledger.jobs[start.key]?.isFinal == true)
        #expect(life.scheduler.nextDue == nil)
        #expect(life.start(100_000).isEmpty)
        #expect(life.scheduler.ledger.cursor == 0)  // the newest sequence heard is 1
    }

    @Test func anAttemptTheRunnerDiedInRunsOnceMoreAndNeverAThirdTime() {
        let configuration = Self.configuration([Self.action("a")])
        var life = Life(configuration)
        life.receive(Self.end(7))
        #expect(life.start(0).count == 1)  // started (written), then the runner is killed
        var second = life.restarted(configuration, now: 100)
        let again = second.start(100)
        #expect(again.map(\.attempt) == [2])
        // Killed again while it runs: the job is abandoned, not run a third time.
        var third = second.restarted(configuration, now: 200)
        #expect(third.start(200).isEmpty)
        let job = third.scheduler.ledger.jobs[again[0].key]
        #expect(job?.isFinal == true)
        #expect(job?.lastFinish?.outcome.kind == .abandoned)
        #expect(job?.starts == 2)
        // Even with the event heard again.
        third.receive(Self.end(7))
        #expect(third.start(300).isEmpty)
    }

    @Test func theRunAfterACrashDoesNotSpendARetryAndTheLimitStillHolds() {
        let configuration = Self.configuration([Self.action("a", retries: 1)])
        var life = Life(configuration)
        life.receive(Self.end(2))
        _ = life.start(0)
        var next = life.restarted(configuration, now: 10)
        var start = next.start(10)[0]
        next.finish(start, failed, 20)
        start = next.start(10_020)[0]
        #expect(start.attempt == 3)
        next.finish(start, failed, 10_030)
        #expect(next.scheduler.ledger.jobs[start.key]?.isFinal == true)
    }

    @Test func aBackoffInterruptedByARestartWaitsOnlyTheRestOfIt() {
        let configuration = Self.configuration([Self.action("a", retries: 1)])
        var life = Life(configuration)
        life.receive(Self.end(2))
        let start = life.start(0)[0]
        life.finish(start, failed, 1_000)
        var next = life.restarted(configuration, now: 5_000)
        #expect(next.scheduler.nextDue == 11_000)
        #expect(next.start(10_000).isEmpty)
        #expect(next.start(11_000).map(\.attempt) == [2])
    }

    @Test func aJobWhoseActionWasRemovedIsAbandonedAtTheNextStart() {
        var life = Life(Self.configuration([Self.action("a", retries: 1)]))
        life.receive(Self.end(2))
        let start = life.start(0)[0]
        life.finish(start, failed, 1)
        let next = life.restarted(Self.configuration([Self.action("b")]), now: 2)
        #expect(next.scheduler.ledger.pending.isEmpty)
        #expect(
            next.scheduler.ledger.jobs[start.key]?.lastFinish?.outcome.error == "the action is no longer configured")
    }

    @Test func twoTasksEndedByOneCallbackShareASequenceAndBothRun() {
        var life = Life(Self.configuration([Self.action("a")]))
        life.receive(Self.end(4, "x"))
        life.finish(life.start(0)[0], ok, 1)
        // The cursor stays below 4: after a restart here, y's event (also 4) is still sent.
        #expect(life.scheduler.ledger.cursor == 3)
        var next = life.restarted(Self.configuration([Self.action("a")]), now: 2)
        next.receive(Self.end(4, "x"))
        next.receive(Self.end(4, "y"))
        #expect(next.start(3).map(\.key.task) == ["freepik:y"])
    }

    @Test func theFirstStartBeginsWhereItIsToldAndIgnoresWhatCameBefore() {
        var scheduler = ActionScheduler(configuration: Self.configuration([Self.action("a")]), ledger: ActionLedger())
        #expect(scheduler.begin(at: 10) == [.cursor(10)])
        #expect(scheduler.receive(Self.end(10)).isEmpty)
        #expect(scheduler.start(now: 0).starts.isEmpty)
        _ = scheduler.receive(Self.end(11))
        #expect(scheduler.start(now: 0).starts.count == 1)
    }
}
