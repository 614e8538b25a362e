import TaskhookCore
import Testing

@testable import TaskhookState

@Suite struct ReportBacklogTests {
    /// `tasks` tasks, each created, then (most) in progress and ended, the reports interleaved
    /// across tasks; a late IN_PROGRESS after the end is kept but not applied.
    static func table(tasks: Int) -> TaskTable {
        var table = TaskTable()
        var sequence: UInt64 = 0
        func report(_ task: Int, _ status: TaskStatus) {
            sequence += 1
            table.apply(
                TaskEvent(taskID: "t\(task)", provider: task % 3 == 0 ? "fal" : "freepik", status: status),
                deliveryID: "d\(sequence)", sequence: sequence, time: Int64(sequence))
        }
        for task in 0..<tasks { report(task, .created) }
        for task in stride(from: tasks - 1, through: 0, by: -1) where task % 4 != 0 { report(task, .inProgress) }
        for task in 0..<tasks { report(task, task % 5 == 0 ? .failed : .completed) }
        for task in 0..<tasks where task % 7 == 0 { report(task, .inProgress) }
        return table
    }

    /// What a backlog must hand out: every applied report in the range, by sequence.
    static func expected(_ table: TaskTable, after: UInt64, through: UInt64) -> [String] {
        table.tasks.values.flatMap { task in
            task.reports.filter { $0.applied && $0.sequence > after && $0.sequence <= through }
                .map { (sequence: $0.sequence, name: "\($0.sequence) \(task.key)") }
        }.sorted { $0.sequence < $1.sequence }.map(\.name)
    }

    static func drain(_ backlog: inout ReportBacklog, _ table: TaskTable, budget: Int, limit: Int) -> (
        handedOut: [String], steps: Int
    ) {
        var handedOut: [String] = []
        var steps = 0
        while !backlog.isFinished {
            let page = backlog.step(table, taskBudget: budget, limit: limit)
            #expect(page.count <= limit)
            handedOut += page.map { "\($0.report.sequence) \($0.task.key)" }
            steps += 1
        }
        return (handedOut, steps)
    }

    @Test func everyAppliedReportAfterTheSequenceIsHandedOutOnceInOrder() {
        let table = Self.table(tasks: 3_000)
        for after: UInt64 in [0, 1_234, table.lastSequence - 10] {
            var backlog = ReportBacklog(after: after, through: table.lastSequence)
            let (handedOut, _) = Self.drain(&backlog, table, budget: 500, limit: 100)
            #expect(handedOut == Self.expected(table, after: after, through: table.lastSequence))
        }
    }

    /// A pass keeps the lowest sequences of a small window and a later pass takes up from there:
    /// the same reports in the same order, in more steps, none holding more than the window.
    @Test func aWindowSmallerThanTheBacklogTakesSeveralPassesAndLosesNothing() {
        let table = Self.table(tasks: 2_000)
        var whole = ReportBacklog(after: 0, through: table.lastSequence)
        var windowed = ReportBacklog(after: 0, through: table.lastSequence, window: 150)
        let (all, steps) = Self.drain(&whole, table, budget: 300, limit: 64)
        let (paged, windowedSteps) = Self.drain(&windowed, table, budget: 300, limit: 64)
        #expect(paged == all)
        #expect(all.count == Self.expected(table, after: 0, through: table.lastSequence).count)
        #expect(windowedSteps > steps)
    }

    /// With a report a sequence (most journals), a pass looks for the next window of sequences
    /// and never finds more than the window: no pass has to search its runs for a lower cutoff.
    @Test func aPassLooksForTheNextWindowOfSequencesAndHoldsNoMore() {
        let table = Self.table(tasks: 2_000)
        var backlog = ReportBacklog(after: 0, through: table.lastSequence, window: 150)
        var handedOut: [String] = []
        var mostHeld = 0
        while !backlog.isFinished {
            handedOut += backlog.step(table, taskBudget: 300, limit: 64).map { "\($0.report.sequence) \($0.task.key)" }
            mostHeld = max(mostHeld, backlog.found)
        }
        #expect(handedOut == Self.expected(table, after: 0, through: table.lastSequence))
        #expect(mostHeld > 0 && mostHeld <= 150)
    }

    /// The reports a pass found are let go a slice a step after it ends, not at once: each holds
    /// a task's buffer, and letting go of a window of them held the loop for milliseconds.
    @Test func aPassDoneLetsGoOfItsReportsASliceAStepBeforeTheBacklogFinishes() {
        let table = Self.table(tasks: 6_000)
        var backlog = ReportBacklog(after: 0, through: table.lastSequence)
        var handedOut = 0
        while backlog.retiringCount == 0, !backlog.isFinished {
            handedOut += backlog.step(table, taskBudget: 100_000, limit: 100_000).count
        }
        #expect(handedOut == Self.expected(table, after: 0, through: table.lastSequence).count)
        // The step that ended the pass let go of one slice.
        #expect(backlog.retiringCount >= handedOut - ReportBacklog.releasedPerStep - 64 && !backlog.isFinished)
        var steps = 0
        while !backlog.isFinished {
            let before = backlog.retiringCount
            #expect(backlog.step(table, taskBudget: 100_000, limit: 100_000).isEmpty)
            // A whole run (one shard's reports, a few here) may go past the slice.
            #expect(before - backlog.retiringCount <= ReportBacklog.releasedPerStep + 64)
            steps += 1
        }
        #expect(steps >= handedOut / ReportBacklog.releasedPerStep && backlog.retiringCount == 0)
    }

    /// The table is looked at a few shards a step: with a budget of one task, a step looks at
    /// one shard that holds tasks (and the empty ones before it).
    @Test func eachStepLooksAtABoundedPartOfTheTable() {
        let table = Self.table(tasks: 100)
        let holding = (0..<TaskTable.shardCount).filter { !table.tasks.shard($0).isEmpty }
        var backlog = ReportBacklog(after: 0, through: table.lastSequence)
        var looking = 0
        while backlog.step(table, taskBudget: 1, limit: 10).isEmpty, !backlog.isFinished { looking += 1 }
        // The last step looks at what is left and hands out the first page: with empty shards
        // after the last one holding tasks, that is one more step.
        #expect(looking == (holding.last! < TaskTable.shardCount - 1 ? holding.count : holding.count - 1))
    }

    @Test func reportsAfterTheBacklogBeganAreLeftToTheLiveStreamAndForgottenTasksAreSkipped() {
        var table = Self.table(tasks: 50)
        let through = table.lastSequence
        var backlog = ReportBacklog(after: 0, through: through)
        // Half the table is looked at, then it changes: a new task, and every task forgotten
        // but those heard of last.
        _ = backlog.step(table, taskBudget: table.count / 2, limit: 10)
        table.apply(
            TaskEvent(taskID: "new", provider: "freepik", status: .completed), deliveryID: "n",
            sequence: through + 1, time: Int64(through + 1))
        let latest = table.tasks.values.map(\.lastHeard).max()!
        table.forgetTasks(lastHeardBefore: latest - 10)
        let (handedOut, _) = Self.drain(&backlog, table, budget: 1_000, limit: 1_000)
        #expect(handedOut == Self.expected(table, after: 0, through: through))
        #expect(!handedOut.isEmpty && !handedOut.contains { $0.hasSuffix(":new") })
    }

    @Test func aBacklogNarrowedToTasksHandsOutTheirReportsAlone() {
        let table = Self.table(tasks: 40)
        let keys = [TaskKey(provider: "freepik", id: "t7"), TaskKey(provider: "fal", id: "t9")]
        var backlog = ReportBacklog(after: 0, through: table.lastSequence, keys: keys)
        let (handedOut, steps) = Self.drain(&backlog, table, budget: 1, limit: 100)
        let expected = Self.expected(table, after: 0, through: table.lastSequence).filter {
            $0.hasSuffix(" freepik:t7") || $0.hasSuffix(" fal:t9")
        }
        #expect(handedOut == expected)
        #expect(expected.count == 6)
        #expect(steps == 1)
    }
}
