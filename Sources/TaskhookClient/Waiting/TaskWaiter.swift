import TaskhookPosix

/// Waiting for tasks to finish with long polls on the control API, as a pure state machine:
/// the caller asks `next(now:)` what to do, carries it out, and reports what happened
/// (`opened`, `answered`, `failed`, `looked`). One long poll per unfinished task, each asking
/// the daemon to hold its answer for up to a minute (less near the deadline). A daemon that
/// stops or restarts during the wait is reconnected to with backoff until the deadline: its
/// journal keeps the task, and the next daemon answers for it. A daemon that cannot be reached
/// at the start is given `startupGrace`, then given up on.
public struct TaskWaiter {
    public enum Mode: Sendable { case all, any }

    public enum Action: Equatable {
        /// Open a long poll for task `task` (an index into `tasks`), then report `opened` or `failed`.
        case poll(task: Int, target: String)
        /// Close task `task`'s poll: it is overdue or superseded; nothing more is to be reported for it.
        case drop(task: Int)
        /// Wait for answers on the open polls, at most until then; report each as it comes.
        case await(until: Instant)
        /// At the deadline: one plain GET (answered at once); report it with `looked`.
        case look(task: Int, target: String)
        /// Something a person watching may want to know.
        case notice(String)
        /// The wait is over.
        case finish(Ending)
    }

    public enum Ending: Equatable, Sendable {
        /// Every task finished, or (in `.any` mode) one did.
        case finished
        case timedOut
        /// The daemon never answered.
        case unreachable(String)
        /// The daemon answered in a way waiting cannot go on from (a wrong token, a 4xx).
        case refused(String)
    }

    /// One task waited for.
    public struct Tracked: Equatable {
        public let id: String
        public internal(set) var view: TaskView
        /// The last answer about it, byte for byte.
        public internal(set) var body: [UInt8]?
        public internal(set) var finishedAt: Instant?
        var polling = false
        var pollDeadline = Instant(nanoseconds: 0)
        var nextAttempt: Instant
        var backoff = TaskWaiter.firstBackoff
    }

    public static let longestPoll = 60
    public static let startupGrace: Duration = .seconds(5)
    public static let firstBackoff: Duration = .milliseconds(100)
    public static let longestBackoff: Duration = .seconds(2)
    /// How long past its wait a long poll may take before the connection is given up on.
    public static let answerSlack: Duration = .seconds(10)

    public let mode: Mode
    public let started: Instant
    public let deadline: Instant?
    /// Where the daemon is, for messages.
    public let endpoint: String
    /// Wake at least once a second, to redraw a live status line.
    public let ticks: Bool
    public private(set) var tasks: [Tracked]
    /// Indices of finished tasks, in the order they were seen to finish.
    public private(set) var finishOrder: [Int] = []
    /// How the wait ended, once it has.
    public private(set) var ending: Ending?
    /// A connection to the daemon has succeeded at least once.
    private var reachedDaemon = false
    /// The connection problem being retried, if any.
    public private(set) var problem: String?
    private var notices: [String] = []
    /// At the deadline: the next task to look at once more.
    private var lookCursor: Int?

    public init(
        ids: [String], endpoint: String, mode: Mode, timeout: Duration?, now: Instant, ticks: Bool = false
    ) {
        self.mode = mode
        self.endpoint = endpoint
        self.ticks = ticks
        started = now
        deadline = timeout.map { now + $0 }
        var unique: [String] = []
        for id in ids where !unique.contains(id) { unique.append(id) }
        tasks = unique.map { Tracked(id: $0, view: TaskView(unknown: $0), nextAttempt: now) }
    }

    public var isDone: Bool {
        switch mode {
        case .any: !finishOrder.isEmpty
        case .all: tasks.allSatisfy(\.view.terminal)
        }
    }

    // MARK: Steps

    /// What to do now.
    public mutating func next(now: Instant) -> Action {
        if let ending { return .finish(ending) }
        if !notices.isEmpty { return .notice(notices.removeFirst()) }
        if lookCursor != nil || deadline.map({ now >= $0 }) == true { return finalLook() }
        if isDone { return end(.finished) }
        if !reachedDaemon, now - started >= Self.startupGrace, let problem { return end(.unreachable(problem)) }
        for i in tasks.indices where !tasks[i].view.terminal && !tasks[i].polling && tasks[i].nextAttempt <= now {
            let wait = waitSeconds(now)
            tasks[i].polling = true
            tasks[i].pollDeadline = now + .seconds(wait) + Self.answerSlack
            return .poll(task: i, target: ControlTarget.task(tasks[i].id, wait: wait))
        }
        for i in tasks.indices where tasks[i].polling && tasks[i].pollDeadline <= now {
            failed(task: i, .broken("taskhookd did not answer a long poll in time"), at: now)
            return .drop(task: i)
        }
        return .await(until: nextWake(now))
    }

    /// The poll for `task` is connected: the daemon accepted (a long poll may be held for a minute before any answer).
    public mutating func opened(task: Int, at now: Instant) {
        reachedDaemon = true
    }

    /// The daemon answered the poll for `task`.
    public mutating func answered(task i: Int, _ response: ControlResponse, at now: Instant) {
        guard ending == nil else { return }
        tasks[i].polling = false
        reachedDaemon = true
        switch response.status {
        case 200:
            let view: TaskView
            do {
                view = try TaskView.parse(response.body)
            } catch {
                ending = .refused(error.description)
                return
            }
            recovered()
            tasks[i].backoff = Self.firstBackoff
            tasks[i].nextAttempt = now
            update(i, view, response.body, at: now)
        case 500...599:
            failed(
                task: i, .broken("taskhookd answered \(response.status): \(response.message)"),
                retryAfter: response.retryAfter, at: now)
        case 401, 403:
            ending = .refused("taskhookd at \(endpoint) refused the token: \(response.message)")
        default:
            ending = .refused("taskhookd at \(endpoint) answered \(response.status): \(response.message)")
        }
    }

    /// The poll for `task` got no answer (or a 5xx): retry with backoff, or as the daemon asked.
    public mutating func failed(task i: Int, _ error: ControlError, retryAfter: Duration? = nil, at now: Instant) {
        guard ending == nil else { return }
        tasks[i].polling = false
        tasks[i].nextAttempt = now + (retryAfter ?? tasks[i].backoff)
        tasks[i].backoff = min(tasks[i].backoff * 2, Self.longestBackoff)
        if problem == nil, reachedDaemon { notices.append("lost taskhookd (\(error)); reconnecting") }
        problem = error.description
    }

    /// The last look at `task` at the deadline: its answer, or nil if there was none.
    public mutating func looked(task i: Int, _ response: ControlResponse?, at now: Instant) {
        lookCursor = i + 1
        guard let response else { return }
        reachedDaemon = true
        if response.status == 200, let view = try? TaskView.parse(response.body) {
            update(i, view, response.body, at: now)
        }
    }

    // MARK: Outcome

    /// The tasks the outcome is about: all of them, or in `.any` mode the first to finish.
    public var reported: [Tracked] {
        switch mode {
        case .all: tasks
        case .any: finishOrder.first.map { [tasks[$0]] } ?? []
        }
    }

    public var exitStatus: WaitExitStatus {
        switch ending {
        case nil, .unreachable, .refused:
            return .unavailable
        case .finished, .timedOut:
            if reported.contains(where: { $0.view.terminal && !$0.view.isCompleted }) { return .failed }
            return ending == .timedOut ? .timedOut : .completed
        }
    }

    /// One line on how the wait stands, for a live status line.
    public func statusText(now: Instant) -> String {
        let elapsed = TimeText.elapsed(now - started)
        var text: String
        if tasks.count == 1 {
            text = "waiting for \(tasks[0].id): \(tasks[0].view.statusText), \(elapsed)"
        } else {
            var counts: [(status: String, count: Int)] = []
            for task in tasks {
                if let index = counts.firstIndex(where: { $0.status == task.view.statusText }) {
                    counts[index].count += 1
                } else {
                    counts.append((task.view.statusText, 1))
                }
            }
            let summary = counts.map { "\($0.count) \($0.status)" }.joined(separator: ", ")
            text = "waiting for \(tasks.count) tasks (\(summary)), \(elapsed)"
        }
        if let problem { text += "; reconnecting: \(problem)" }
        return text
    }

    // MARK: Inside

    private mutating func update(_ i: Int, _ view: TaskView, _ body: [UInt8], at now: Instant) {
        tasks[i].view = view
        tasks[i].body = body
        if view.terminal {
            tasks[i].finishedAt = now
            finishOrder.append(i)
        }
    }

    private mutating func recovered() {
        guard problem != nil else { return }
        problem = nil
        notices.append("taskhookd answers again")
    }

    private mutating func end(_ ending: Ending) -> Action {
        self.ending = ending
        return .finish(ending)
    }

    /// At the deadline: one last look at each unfinished task (a plain GET answers at once), so
    /// `--timeout 0` means "check once" and a callback in the last moment still counts.
    private mutating func finalLook() -> Action {
        var i = lookCursor ?? 0
        lookCursor = i
        while i < tasks.count, tasks[i].view.terminal { i += 1 }
        guard i < tasks.count, !isDone else {
            if isDone { return end(.finished) }
            return end(reachedDaemon ? .timedOut : .unreachable(problem ?? "taskhookd is not reachable at \(endpoint)"))
        }
        lookCursor = i
        if tasks[i].polling {
            tasks[i].polling = false
            return .drop(task: i)
        }
        return .look(task: i, target: ControlTarget.task(tasks[i].id))
    }

    /// Seconds to ask the daemon to hold the answer: up to a minute, never much past the deadline.
    private func waitSeconds(_ now: Instant) -> Int {
        guard let deadline else { return Self.longestPoll }
        let left = Double((deadline - now).milliseconds) / 1000
        return min(Self.longestPoll, max(1, Int(left.rounded(.up))))
    }

    /// When something is due: a retry, a poll's deadline, the overall deadline, the end of the
    /// startup grace, or the next tick of the status line.
    private func nextWake(_ now: Instant) -> Instant {
        var next: [Instant] = tasks.compactMap {
            $0.view.terminal ? nil : $0.polling ? $0.pollDeadline : $0.nextAttempt
        }
        if let deadline { next.append(deadline) }
        if !reachedDaemon, started + Self.startupGrace > now { next.append(started + Self.startupGrace) }
        if ticks { next.append(now + .seconds(1)) }
        return next.min() ?? now + .seconds(1)
    }
}

/// How a wait ends for the shell (`timeout(1)`'s 124 for a timeout, sysexits.h's 69).
public enum WaitExitStatus: Int32, Sendable {
    /// Every task (in `.any` mode, the first to finish) completed.
    case completed = 0
    /// A task failed or was canceled.
    case failed = 1
    /// The daemon was unreachable or refused.
    case unavailable = 69
    case timedOut = 124
}
