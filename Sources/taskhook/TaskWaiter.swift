import Glibc
import TaskhookPosix

/// Waits for tasks to finish with long polls on the control API: one connection per unfinished
/// task, multiplexed with poll(2), each asking the daemon to hold its answer for up to a minute
/// (less near the deadline). A daemon that stops or restarts during the wait is reconnected to
/// with backoff until the deadline: its journal keeps the task, and the next daemon answers for
/// it. A daemon that cannot be reached at the start is given `startupGrace`, then given up on.
final class TaskWaiter {
    enum Ending {
        /// Every task finished, or (with `any`) one did.
        case finished
        case timedOut
        /// The daemon never answered.
        case unreachable(String)
        /// The daemon answered in a way waiting cannot go on from (a wrong token, a 4xx).
        case refused(String)
    }

    struct Slot {
        let id: String
        var task: TaskView
        /// The last answer about it, byte for byte.
        var body: [UInt8]?
        var request: ControlRequest?
        var requestDeadline = Instant(nanoseconds: 0)
        var nextAttempt: Instant
        var backoff = TaskWaiter.firstBackoff
        var finishedAt: Instant?
    }

    static let longestPoll = 60
    static let startupGrace: Duration = .seconds(5)
    static let firstBackoff: Duration = .milliseconds(100)
    static let longestBackoff: Duration = .seconds(2)
    /// How long past its wait a long poll may take before the connection is given up on.
    static let answerSlack: Duration = .seconds(10)

    let endpoint: ControlEndpoint
    let any: Bool
    let started = Instant.now()
    let deadline: Instant?
    private(set) var slots: [Slot]
    /// Indices of finished slots, in the order they were seen to finish.
    private(set) var finishOrder: [Int] = []
    /// A connection to the daemon has succeeded at least once.
    private var reachedDaemon = false
    /// The connection problem being retried, if any.
    private var problem: String?
    private let statusLine: StatusLine

    init(ids: [String], endpoint: ControlEndpoint, any: Bool, timeout: Duration?, statusLine: StatusLine) {
        self.endpoint = endpoint
        self.any = any
        self.statusLine = statusLine
        let now = started
        deadline = timeout.map { now + $0 }
        slots = ids.map { Slot(id: $0, task: TaskView(unknown: $0), nextAttempt: now) }
        FileSystem.raiseDescriptorLimit()  // one descriptor per waited-for task
    }

    var isDone: Bool { any ? !finishOrder.isEmpty : slots.allSatisfy(\.task.terminal) }

    func run() -> Ending {
        while true {
            if isDone { return .finished }
            let now = Instant.now()
            if let deadline, now >= deadline { return finalLook() }
            if !reachedDaemon, now - started >= Self.startupGrace, let problem { return .unreachable(problem) }
            startDueRequests(now)
            if let ending = pollOnce() { return ending }
            if !isDone { showStatus() }
        }
    }

    // MARK: Requests

    private func startDueRequests(_ now: Instant) {
        for i in slots.indices where !slots[i].task.terminal && slots[i].request == nil && slots[i].nextAttempt <= now {
            let wait = waitSeconds(now)
            do {
                slots[i].request = try ControlRequest(
                    endpoint, target: "/v1/tasks/\(percentEncoded(slots[i].id))?wait=\(wait)")
                slots[i].requestDeadline = now + .seconds(wait) + Self.answerSlack
                reachedDaemon = true  // it accepted; a long poll may be held for a minute before any answer
            } catch {
                failed(i, error, retryAfter: nil)
            }
        }
    }

    /// Seconds to ask the daemon to hold the answer: up to a minute, never much past the deadline.
    private func waitSeconds(_ now: Instant) -> Int {
        guard let deadline else { return Self.longestPoll }
        let left = Double((deadline - now).milliseconds) / 1000
        return min(Self.longestPoll, max(1, Int(left.rounded(.up))))
    }

    /// Waits for answers (or the next timer), then handles whatever arrived.
    private func pollOnce() -> Ending? {
        let active = slots.indices.filter { slots[$0].request != nil }
        var descriptors = active.map { pollfd(fd: slots[$0].request!.descriptor, events: Int16(POLLIN), revents: 0) }
        let ready = descriptors.withUnsafeMutableBufferPointer {
            poll($0.baseAddress, nfds_t($0.count), pollTimeout())
        }
        let now = Instant.now()
        if ready > 0 {
            for (n, i) in active.enumerated() where descriptors[n].revents != 0 {
                do {
                    guard let response = try slots[i].request!.readAvailable() else { continue }
                    slots[i].request = nil
                    if let ending = handle(response, slot: i, now: now) { return ending }
                } catch {
                    failed(i, error, retryAfter: nil)
                }
            }
        }
        for i in active where slots[i].request != nil && slots[i].requestDeadline <= now {
            failed(i, .broken("taskhookd did not answer a long poll in time"), retryAfter: nil)
        }
        return nil
    }

    /// Milliseconds until something is due: a retry, a request's deadline, the overall deadline,
    /// the end of the startup grace, or the next tick of the status line.
    private func pollTimeout() -> Int32 {
        var next: [Instant] = slots.compactMap {
            $0.task.terminal ? nil : $0.request == nil ? $0.nextAttempt : $0.requestDeadline
        }
        if let deadline { next.append(deadline) }
        let now = Instant.now()
        if !reachedDaemon, started + Self.startupGrace > now { next.append(started + Self.startupGrace) }
        if statusLine.isEnabled { next.append(now + .seconds(1)) }
        guard let soonest = next.min() else { return 1000 }
        return Int32(clamping: max(0, (soonest - now).milliseconds + 1))
    }

    private func handle(_ response: ControlResponse, slot i: Int, now: Instant) -> Ending? {
        reachedDaemon = true
        switch response.status {
        case 200:
            let task: TaskView
            do {
                task = try TaskView.decode(response.body)
            } catch {
                return .refused(error.description)
            }
            recovered()
            slots[i].task = task
            slots[i].body = response.body
            slots[i].backoff = Self.firstBackoff
            slots[i].nextAttempt = now
            if task.terminal {
                slots[i].finishedAt = now
                finishOrder.append(i)
            }
            return nil
        case 500...599:
            failed(
                i, .broken("taskhookd answered \(response.status): \(response.message)"),
                retryAfter: response.retryAfter)
            return nil
        case 401, 403:
            return .refused("taskhookd at \(endpoint) refused the token: \(response.message)")
        default:
            return .refused("taskhookd at \(endpoint) answered \(response.status): \(response.message)")
        }
    }

    /// A request got no answer (or a 5xx): retry with backoff, or as the daemon asked.
    private func failed(_ i: Int, _ error: ControlError, retryAfter: Duration?) {
        slots[i].request = nil
        let delay = retryAfter ?? slots[i].backoff
        slots[i].nextAttempt = Instant.now() + delay
        slots[i].backoff = min(slots[i].backoff * 2, Self.longestBackoff)
        if problem == nil, reachedDaemon, !statusLine.isEnabled {
            printError("taskhook wait: lost taskhookd (\(error)); reconnecting")
        }
        problem = error.description
    }

    private func recovered() {
        guard problem != nil else { return }
        problem = nil
        if !statusLine.isEnabled { printError("taskhook wait: taskhookd answers again") }
    }

    /// At the deadline: one last look at each unfinished task (a plain GET answers at once), so
    /// `--timeout 0` means "check once" and a callback in the last moment still counts.
    private func finalLook() -> Ending {
        for i in slots.indices where !slots[i].task.terminal {
            slots[i].request = nil
            guard !isDone,
                let response = try? ControlRequest.get(
                    endpoint, "/v1/tasks/\(percentEncoded(slots[i].id))", timeout: .seconds(2))
            else {
                continue
            }
            reachedDaemon = true
            if response.status == 200, let task = try? TaskView.decode(response.body) {
                slots[i].task = task
                slots[i].body = response.body
                if task.terminal {
                    slots[i].finishedAt = Instant.now()
                    finishOrder.append(i)
                }
            }
        }
        if isDone { return .finished }
        return reachedDaemon ? .timedOut : .unreachable(problem ?? "taskhookd is not reachable at \(endpoint)")
    }

    // MARK: Status

    private func showStatus() {
        guard statusLine.isEnabled else { return }
        let elapsed = elapsedText(Instant.now() - started)
        var text: String
        if slots.count == 1 {
            text = "waiting for \(slots[0].id): \(slots[0].task.statusText), \(elapsed)"
        } else {
            var counts: [(String, Int)] = []
            for slot in slots {
                if let index = counts.firstIndex(where: { $0.0 == slot.task.statusText }) {
                    counts[index].1 += 1
                } else {
                    counts.append((slot.task.statusText, 1))
                }
            }
            text =
                "waiting for \(slots.count) tasks (\(counts.map { "\($0.1) \($0.0)" }.joined(separator: ", "))), \(elapsed)"
        }
        if let problem { text += "; reconnecting: \(problem)" }
        statusLine.show(text)
    }
}
