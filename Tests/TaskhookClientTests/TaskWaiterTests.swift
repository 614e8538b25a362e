import TaskhookPosix
import Testing

@testable import TaskhookClient

@Suite struct TaskWaiterTests {
    let t0 = Instant(nanoseconds: 1_000_000_000_000)

    func at(_ offset: Duration) -> Instant { t0 + offset }

    func answer(_ id: String, _ status: String, terminal: Bool, error: String? = nil) -> ControlResponse {
        let results = status == "completed" ? #"["https://cdn.example/\#(id).mp4"]"# : "[]"
        let reason = error.map { #""\#($0)""# } ?? "null"
        return ControlResponse(
            status: 200,
            body: Array(
                #"{"id":"\#(id)","status":"\#(status)","terminal":\#(terminal),"results":\#(results),"error":\#(reason)}"#
                    .utf8))
    }

    func unknown(_ id: String) -> ControlResponse {
        ControlResponse(status: 200, body: Array(#"{"id":"\#(id)","known":false,"terminal":false}"#.utf8))
    }

    func waiter(_ ids: [String], _ mode: TaskWaiter.Mode = .all, timeout: Duration? = nil) -> TaskWaiter {
        TaskWaiter(ids: ids, endpoint: "unix:/run/c.sock", mode: mode, timeout: timeout, now: t0)
    }

    /// Opens every poll the waiter asks for at `now`; returns the action after them.
    func openPolls(_ waiter: inout TaskWaiter, at now: Instant) -> TaskWaiter.Action {
        while true {
            let action = waiter.next(now: now)
            guard case .poll(let task, _) = action else { return action }
            waiter.opened(task: task, at: now)
        }
    }

    @Test func everyTaskGetsALongPollOfAMinuteThenItWaits() {
        var waiter = waiter(["a", "b", "a"])
        #expect(waiter.tasks.map(\.id) == ["a", "b"])
        #expect(waiter.next(now: t0) == .poll(task: 0, target: "/v1/tasks/a?wait=60"))
        waiter.opened(task: 0, at: t0)
        #expect(waiter.next(now: t0) == .poll(task: 1, target: "/v1/tasks/b?wait=60"))
        waiter.opened(task: 1, at: t0)
        #expect(waiter.next(now: t0) == .await(until: at(.seconds(70))))
    }

    @Test func withAllItFinishesWhenEveryTaskHasCompleted() {
        var waiter = waiter(["a", "b"])
        _ = openPolls(&waiter, at: t0)
        waiter.answered(task: 1, answer("b", "completed", terminal: true), at: at(.seconds(3)))
        #expect(waiter.next(now: at(.seconds(3))) == .await(until: at(.seconds(70))))
        waiter.answered(task: 0, answer("a", "completed", terminal: true), at: at(.seconds(4)))
        #expect(waiter.next(now: at(.seconds(4))) == .finish(.finished))
        #expect(waiter.exitStatus == .completed)
        #expect(waiter.reported.map(\.id) == ["a", "b"])
        #expect(waiter.tasks[1].finishedAt == at(.seconds(3)))
        #expect(waiter.tasks[0].body == answer("a", "completed", terminal: true).body)
    }

    @Test func withAnyTheFirstTaskToFinishIsTheAnswer() {
        var waiter = waiter(["a", "b"], .any)
        _ = openPolls(&waiter, at: t0)
        waiter.answered(task: 1, answer("b", "completed", terminal: true), at: at(.seconds(1)))
        #expect(waiter.next(now: at(.seconds(1))) == .finish(.finished))
        #expect(waiter.reported.map(\.id) == ["b"])
        #expect(waiter.exitStatus == .completed)
    }

    @Test func withAnyAFailedFirstTaskExitsOne() {
        var waiter = waiter(["a", "b"], .any)
        _ = openPolls(&waiter, at: t0)
        waiter.answered(task: 0, answer("a", "failed", terminal: true, error: "nsfw"), at: at(.seconds(1)))
        #expect(waiter.next(now: at(.seconds(1))) == .finish(.finished))
        #expect(waiter.reported.map(\.view.error) == ["nsfw"])
        #expect(waiter.exitStatus == .failed)
    }

    @Test(arguments: ["failed", "canceled"])
    func withAllOneTaskThatDidNotCompleteExitsOne(status: String) {
        var waiter = waiter(["a", "b"])
        _ = openPolls(&waiter, at: t0)
        waiter.answered(task: 0, answer("a", "completed", terminal: true), at: at(.seconds(1)))
        waiter.answered(task: 1, answer("b", status, terminal: true), at: at(.seconds(2)))
        #expect(waiter.next(now: at(.seconds(2))) == .finish(.finished))
        #expect(waiter.exitStatus == .failed)
    }

    @Test func aTaskNotYetHeardOfIsPolledAgainAtOnce() {
        var waiter = waiter(["later"])
        _ = openPolls(&waiter, at: t0)
        waiter.answered(task: 0, unknown("later"), at: at(.seconds(60)))
        #expect(waiter.next(now: at(.seconds(60))) == .poll(task: 0, target: "/v1/tasks/later?wait=60"))
        #expect(waiter.statusText(now: at(.seconds(60))) == "waiting for later: not yet seen, 1m00s")
        waiter.answered(task: 0, answer("later", "in_progress", terminal: false), at: at(.seconds(61)))
        #expect(waiter.statusText(now: at(.seconds(61))) == "waiting for later: in_progress, 1m01s")
        #expect(waiter.next(now: at(.seconds(61))) == .poll(task: 0, target: "/v1/tasks/later?wait=60"))
    }

    @Test func aLostDaemonIsReconnectedToWithBackoffAndSaidSo() {
        var waiter = waiter(["a"])
        _ = openPolls(&waiter, at: t0)
        let lost = ControlError.broken("the connection to taskhookd failed (ECONNRESET)")
        waiter.failed(task: 0, lost, at: at(.seconds(5)))
        #expect(waiter.next(now: at(.seconds(5))) == .notice("lost taskhookd (\(lost)); reconnecting"))
        #expect(waiter.next(now: at(.seconds(5))) == .await(until: at(.milliseconds(5100))))
        #expect(waiter.statusText(now: at(.seconds(5))) == "waiting for a: not yet seen, 5s; reconnecting: \(lost)")
        // The daemon is restarting: connecting fails, each time a little later.
        var retries: [Duration] = []
        var now = at(.milliseconds(5100))
        for _ in 0..<6 {
            guard case .poll = waiter.next(now: now) else {
                Issue.record("no retry at \(now)")
                return
            }
            waiter.failed(task: 0, .unreachable("taskhookd is not reachable at unix:/run/c.sock"), at: now)
            guard case .await(let until) = waiter.next(now: now) else {
                Issue.record("no wait")
                return
            }
            retries.append(until - now)
            now = until
        }
        #expect(
            retries == [
                .milliseconds(200), .milliseconds(400), .milliseconds(800), .milliseconds(1600), .seconds(2),
                .seconds(2),
            ])
        // Long past the startup grace, it keeps trying: the daemon was reached once.
        #expect(waiter.next(now: now) == .poll(task: 0, target: "/v1/tasks/a?wait=60"))
        waiter.opened(task: 0, at: now)
        waiter.answered(task: 0, answer("a", "completed", terminal: true), at: now)
        #expect(waiter.next(now: now) == .notice("taskhookd answers again"))
        #expect(waiter.next(now: now) == .finish(.finished))
        #expect(waiter.problem == nil)
    }

    @Test func aDaemonNeverReachedIsGivenUpOnAfterTheStartupGrace() {
        var waiter = waiter(["a"])
        let refused = ControlError.unreachable("taskhookd is not reachable at unix:/run/c.sock (ECONNREFUSED)")
        var now = t0
        var actions: [TaskWaiter.Action] = []
        while now < at(.seconds(10)) {
            let action = waiter.next(now: now)
            actions.append(action)
            switch action {
            case .poll(let task, _): waiter.failed(task: task, refused, at: now)
            case .await(let until): now = until
            default: now = at(.seconds(10))
            }
        }
        #expect(!actions.contains { if case .notice = $0 { true } else { false } })
        #expect(actions.last == .finish(.unreachable(refused.description)))
        #expect(waiter.exitStatus == .unavailable)
    }

    @Test func aWrongTokenEndsTheWait() {
        var waiter = waiter(["a"])
        _ = openPolls(&waiter, at: t0)
        let answer = ControlResponse(status: 401, body: Array(#"{"error":"bad token"}"#.utf8))
        waiter.answered(task: 0, answer, at: t0)
        #expect(waiter.next(now: t0) == .finish(.refused("taskhookd at unix:/run/c.sock refused the token: bad token")))
        #expect(waiter.exitStatus == .unavailable)
    }

    @Test func anAnswerThatIsNotATaskEndsTheWait() {
        var waiter = waiter(["a"])
        _ = openPolls(&waiter, at: t0)
        waiter.answered(task: 0, ControlResponse(status: 200, body: Array("[]".utf8)), at: t0)
        #expect(
            waiter.next(now: t0)
                == .finish(
                    .refused(
                        "taskhookd answered with JSON this command does not understand: the task is an array, not an object"
                    )))
    }

    @Test func aBusyDaemonIsAskedAgainWhenItSays() {
        var waiter = waiter(["a"])
        _ = openPolls(&waiter, at: t0)
        let busy = ControlResponse(status: 503, headers: [.init("Retry-After", "3")], body: Array("draining".utf8))
        waiter.answered(task: 0, busy, at: at(.seconds(1)))
        #expect(
            waiter.next(now: at(.seconds(1)))
                == .notice("lost taskhookd (taskhookd answered 503: draining); reconnecting"))
        #expect(waiter.next(now: at(.seconds(1))) == .await(until: at(.seconds(4))))
    }

    @Test func aLongPollNotAnsweredInTimeIsDroppedAndTriedAgain() {
        var waiter = waiter(["a"])
        _ = openPolls(&waiter, at: t0)
        #expect(waiter.next(now: at(.seconds(70))) == .drop(task: 0))
        #expect(waiter.problem == "taskhookd did not answer a long poll in time")
        _ = waiter.next(now: at(.seconds(70)))  // the notice
        #expect(waiter.next(now: at(.milliseconds(70100))) == .poll(task: 0, target: "/v1/tasks/a?wait=60"))
    }

    @Test func pollsGetShorterNearTheDeadline() {
        var waiter = waiter(["a"], timeout: .milliseconds(2500))
        #expect(waiter.next(now: t0) == .poll(task: 0, target: "/v1/tasks/a?wait=3"))
        waiter.opened(task: 0, at: t0)
        #expect(waiter.next(now: t0) == .await(until: at(.milliseconds(2500))))
    }

    @Test func atTheDeadlineEachUnfinishedTaskIsLookedAtOnceMore() {
        var waiter = waiter(["a", "b", "c"], timeout: .seconds(30))
        _ = openPolls(&waiter, at: t0)
        waiter.answered(task: 0, answer("a", "completed", terminal: true), at: at(.seconds(1)))
        let end = at(.seconds(30))
        #expect(waiter.next(now: end) == .drop(task: 1))
        #expect(waiter.next(now: end) == .look(task: 1, target: "/v1/tasks/b"))
        waiter.looked(task: 1, answer("b", "completed", terminal: true), at: end)
        #expect(waiter.next(now: end) == .drop(task: 2))
        #expect(waiter.next(now: end) == .look(task: 2, target: "/v1/tasks/c"))
        waiter.looked(task: 2, answer("c", "in_progress", terminal: false), at: end)
        #expect(waiter.next(now: end) == .finish(.timedOut))
        #expect(waiter.exitStatus == .timedOut)
    }

    @Test func aLastMomentCompletionStillCounts() {
        var waiter = waiter(["a"], timeout: .seconds(5))
        _ = openPolls(&waiter, at: t0)
        #expect(waiter.next(now: at(.seconds(5))) == .drop(task: 0))
        #expect(waiter.next(now: at(.seconds(5))) == .look(task: 0, target: "/v1/tasks/a"))
        waiter.looked(task: 0, answer("a", "completed", terminal: true), at: at(.seconds(5)))
        #expect(waiter.next(now: at(.seconds(5))) == .finish(.finished))
        #expect(waiter.exitStatus == .completed)
    }

    @Test func aTimedOutWaitWithAFailedTaskExitsOne() {
        var waiter = waiter(["a", "b"], timeout: .zero)
        #expect(waiter.next(now: t0) == .look(task: 0, target: "/v1/tasks/a"))
        waiter.looked(task: 0, answer("a", "failed", terminal: true), at: t0)
        #expect(waiter.next(now: t0) == .look(task: 1, target: "/v1/tasks/b"))
        waiter.looked(task: 1, unknown("b"), at: t0)
        #expect(waiter.next(now: t0) == .finish(.timedOut))
        #expect(waiter.exitStatus == .failed)
    }

    @Test func timeoutZeroWithNoDaemonIsUnreachable() {
        var waiter = waiter(["a"], timeout: .zero)
        #expect(waiter.next(now: t0) == .look(task: 0, target: "/v1/tasks/a"))
        waiter.looked(task: 0, nil, at: t0)
        #expect(waiter.next(now: t0) == .finish(.unreachable("taskhookd is not reachable at unix:/run/c.sock")))
        #expect(waiter.exitStatus == .unavailable)
    }

    @Test func theStatusLineCountsTasksByState() {
        var waiter = waiter(["a", "b", "c"])
        _ = openPolls(&waiter, at: t0)
        waiter.answered(task: 1, answer("b", "in_progress", terminal: false), at: at(.seconds(2)))
        #expect(waiter.statusText(now: at(.seconds(2))) == "waiting for 3 tasks (2 not yet seen, 1 in_progress), 2s")
    }

    @Test func aStatusLineTicksEverySecond() {
        var waiter = TaskWaiter(ids: ["a"], endpoint: "e", mode: .all, timeout: nil, now: t0, ticks: true)
        _ = openPolls(&waiter, at: t0)
        #expect(waiter.next(now: t0) == .await(until: at(.seconds(1))))
    }
}
