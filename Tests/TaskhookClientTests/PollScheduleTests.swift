import TaskhookClient
import Testing

@Suite struct PollScheduleTests {
    func policy(_ change: (inout PollPolicy) -> Void = { _ in }) -> PollPolicy {
        var policy = PollPolicy()
        change(&policy)
        return policy
    }

    /// Runs the schedule like the reconciler: reads start when it says, each taking `duration` and
    /// ending with `outcome(key, attempt)`; returns each read's start time.
    func simulate(
        _ schedule: inout PollSchedule, until end: Double, duration: Double = 0.01,
        outcome: (String, Int) -> PollSchedule.Outcome
    ) -> [(key: String, time: Double)] {
        var now = 0.0
        var running: [(key: String, ends: Double)] = []
        var started: [(key: String, time: Double)] = []
        var attempts: [String: Int] = [:]
        while now <= end {
            running.sort { $0.ends < $1.ends }
            while let first = running.first, first.ends <= now {
                running.removeFirst()
                schedule.finished(
                    first.key, outcome(first.key, attempts[first.key, default: 0]), now: first.ends, unit: 0.5)
            }
            switch schedule.next(now: now) {
            case .read(let key):
                attempts[key, default: 0] += 1
                started.append((key, now))
                running.append((key, now + duration))
                continue
            case .wait(let until):
                now = min(until, running.map(\.ends).min() ?? .infinity)
            case .idle:
                return started
            }
            if now == .infinity { return started }
        }
        return started
    }

    @Test func noMoreReadsRunAtOnceThanTheConcurrencyBound() {
        var schedule = PollSchedule(
            policy: policy {
                $0.maxConcurrent = 2
                $0.defaultRatePerSecond = 1000
                $0.burst = 1000
            })
        for index in 0..<5 { schedule.add("t\(index)", provider: "freepik", now: 0) }
        #expect(schedule.next(now: 0) == .read("t0"))
        #expect(schedule.next(now: 0) == .read("t1"))
        #expect(schedule.next(now: 0) == .wait(until: .infinity))
        schedule.finished("t0", .finished, now: 0.1, unit: 0)
        #expect(schedule.next(now: 0.1) == .read("t2"))
        #expect(schedule.inFlight == ["t1", "t2"])
    }

    @Test func eachProviderStaysWithinItsRate() {
        var schedule = PollSchedule(
            policy: policy {
                $0.maxConcurrent = 10
                $0.ratePerSecond = ["freepik": 2]
                $0.burst = 1
            })
        for index in 0..<4 { schedule.add("f\(index)", provider: "freepik", now: 0) }
        schedule.add("k", provider: "kling", now: 0)
        let reads = simulate(&schedule, until: 10) { _, _ in .finished }
        let freepik = reads.filter { $0.key.hasPrefix("f") }.map(\.time)
        #expect(freepik.count == 4)
        for (earlier, later) in zip(freepik, freepik.dropFirst()) { #expect(later - earlier >= 0.5 - 1e-9) }
        // Another provider's bucket is its own: kling is read at once.
        #expect(reads.first { $0.key == "k" }?.time == 0)
    }

    @Test func failedReadsBackOffExponentiallyWithJitter() {
        let policy = policy {
            $0.baseBackoff = 1
            $0.maxBackoff = 8
        }
        #expect(policy.backoff(attempt: 1, unit: 0) == 0.5)
        #expect(policy.backoff(attempt: 1, unit: 0.999) < 1)
        #expect(policy.backoff(attempt: 3, unit: 0) == 2)
        #expect(policy.backoff(attempt: 3, unit: 1) == 4)
        #expect(policy.backoff(attempt: 10, unit: 1) == 8)
        var schedule = PollSchedule(policy: policy)
        schedule.add("t", provider: "fal", now: 0)
        let reads = simulate(&schedule, until: 100, duration: 0) { _, attempt in
            attempt < 4 ? .failed(retryAfter: nil) : .finished
        }
        // unit 0.5: 0.75, 1.5, 3 s after each failure.
        let gaps = zip(reads.dropFirst(), reads).map { $0.time - $1.time }
        #expect(gaps == [0.75, 1.5, 3.0])
    }

    @Test func retryAfterIsHonouredForEveryTaskOfThatProvider() {
        var schedule = PollSchedule(
            policy: policy {
                $0.maxConcurrent = 1
                $0.defaultRatePerSecond = 100
                $0.burst = 100
            })
        schedule.add("a", provider: "freepik", now: 0)
        schedule.add("b", provider: "freepik", now: 0)
        schedule.add("c", provider: "kling", now: 0)
        #expect(schedule.next(now: 0) == .read("a"))
        schedule.finished("a", .failed(retryAfter: 5), now: 0.1, unit: 0)
        // b belongs to the paused provider; c does not.
        #expect(schedule.next(now: 0.1) == .read("c"))
        schedule.finished("c", .finished, now: 0.2, unit: 0)
        #expect(schedule.next(now: 0.2) == .wait(until: 5.1))
        #expect(schedule.next(now: 5.1) == .read("a"))
    }

    @Test func aRunningTaskIsReadAgainAfterThePollIntervalAndAFinishedOneNever() {
        var schedule = PollSchedule(policy: policy { $0.pollInterval = 30 })
        schedule.add("t", provider: "fal", now: 0)
        #expect(schedule.next(now: 0) == .read("t"))
        schedule.finished("t", .running, now: 1, unit: 0)
        #expect(schedule.next(now: 1) == .wait(until: 31))
        #expect(schedule.next(now: 31) == .read("t"))
        schedule.finished("t", .finished, now: 32, unit: 0)
        #expect(schedule.next(now: 32) == .idle)
        #expect(schedule.isEmpty)
    }

    @Test func postponingPushesAnEarlierReadBackButKeepsALaterBackoff() {
        var schedule = PollSchedule(policy: policy())
        schedule.add("t", provider: "fal", due: 10)
        schedule.postpone("t", until: 20)
        #expect(schedule.due("t") == 20)
        schedule.postpone("t", until: 15)
        #expect(schedule.due("t") == 20)
        schedule.postpone("unknown", until: 15)
        #expect(!schedule.contains("unknown"))
    }

    @Test func aRemovedTaskIsNotReadAndItsReadUnderWayStillReports() {
        var schedule = PollSchedule(policy: policy())
        schedule.add("a", provider: "fal", now: 0)
        schedule.add("b", provider: "fal", now: 0)
        #expect(schedule.next(now: 0) == .read("a"))
        schedule.remove("a")
        schedule.remove("b")
        #expect(schedule.next(now: 0) == .idle)
        schedule.finished("a", .running, now: 1, unit: 0)
        #expect(schedule.inFlight.isEmpty)
        #expect(schedule.isEmpty)
    }
}
