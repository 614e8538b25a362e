import TestSupport
import Testing

@testable import TaskhookPosix

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct EventLoopTests {
    @Test func timersFireInDeadlineOrderAndCanBeMoved() throws {
        let loop = try EventLoop()
        var fired: [String] = []
        let start = loop.now
        let a = loop.addTimer { fired.append("a") }
        let b = loop.addTimer { fired.append("b") }
        loop.setTimer(a, deadline: start + .milliseconds(30))
        loop.setTimer(b, deadline: start + .milliseconds(10))
        loop.setTimer(a, deadline: start + .milliseconds(5))  // moved earlier
        while fired.count < 2 { try loop.runOnce(maximumWait: .milliseconds(50)) }
        #expect(fired == ["a", "b"])
    }

    @Test func aTimerMovedLaterFiresAtItsNewDeadlineOnly() throws {
        let loop = try EventLoop()
        var firedAt: [Instant] = []
        let start = loop.now
        let t = loop.addTimer { firedAt.append(loop.now) }
        loop.setTimer(t, deadline: start + .milliseconds(5))
        loop.setTimer(t, deadline: start + .milliseconds(40))
        while firedAt.isEmpty { try loop.runOnce(maximumWait: .milliseconds(100)) }
        #expect(firedAt.count == 1)
        #expect(firedAt[0] >= start + .milliseconds(40))
        try loop.runOnce(maximumWait: .milliseconds(20))
        #expect(firedAt.count == 1)
    }

    @Test func aRemovedTimersSlotIsReusedWithoutFiringTheOldCallback() throws {
        let loop = try EventLoop()
        var fired: [String] = []
        let old = loop.addTimer { fired.append("old") }
        loop.setTimer(old, deadline: loop.now + .milliseconds(1))
        loop.removeTimer(old)
        let new = loop.addTimer { fired.append("new") }
        loop.setTimer(old, deadline: loop.now)  // a stale id changes nothing
        loop.setTimer(new, deadline: loop.now + .milliseconds(2))
        while fired.isEmpty { try loop.runOnce(maximumWait: .milliseconds(50)) }
        #expect(fired == ["new"])
    }

    @Test func theLongestIterationCountsBusyTimeNotTheWaitAndStartsOverWhenTaken() throws {
        let loop = try EventLoop()
        _ = loop.takeLongestIteration()
        // An idle iteration: 20 ms of waiting is not busy time.
        try loop.runOnce(maximumWait: .milliseconds(20))
        #expect(loop.takeLongestIteration() < .milliseconds(5))
        #expect(loop.slowIterations == 0)
        // A timer that keeps the loop busy for 12 ms.
        loop.schedule(at: loop.now) {
            let until = Instant.now() + .milliseconds(12)
            while Instant.now() < until {}
        }
        try loop.runOnce(maximumWait: .milliseconds(1))
        let longest = loop.takeLongestIteration()
        #expect(longest >= .milliseconds(12) && longest < .seconds(2))
        #expect(loop.slowIterations == 1)
        try loop.runOnce(maximumWait: .milliseconds(1))
        #expect(loop.takeLongestIteration() < .milliseconds(5))
        #expect(loop.slowIterations == 1)
    }

    /// Work shows on both figures; time off the CPU (a sleep here, as a preempted loop would
    /// spend it waiting for a CPU) shows on the wall-clock figure alone.
    @Test func theLongestIterationOnTheCPUCountsWorkNotTimeOffTheCPU() throws {
        let loop = try EventLoop()
        _ = (loop.takeLongestIteration(), loop.takeLongestIterationOnCPU())
        loop.schedule(at: loop.now) {
            let until = ThreadCPUClock.nanoseconds() + 12_000_000
            while ThreadCPUClock.nanoseconds() < until {}
        }
        try loop.runOnce(maximumWait: .milliseconds(1))
        #expect(loop.takeLongestIterationOnCPU() >= .milliseconds(12))
        #expect(loop.takeLongestIteration() >= .milliseconds(12))
        loop.schedule(at: loop.now) { usleep(30_000) }
        try loop.runOnce(maximumWait: .milliseconds(1))
        #expect(loop.takeLongestIteration() >= .milliseconds(30))
        #expect(loop.takeLongestIterationOnCPU() < .milliseconds(5))
    }

    /// An iteration as busy as `reportedIteration` is reported taken apart: work in a timer
    /// shows as CPU time and timer time; a handler that sleeps (as a preempted loop waits for a
    /// CPU) as handler time off the CPU. Shorter ones, and the one that stops the loop (a stop
    /// may wait for work on purpose), are not reported.
    @Test func aLongIterationIsReportedWithItsCPUTimeAndItsPhases() throws {
        let loop = try EventLoop()
        loop.reportedIteration = .milliseconds(20)
        var reports: [EventLoop.LongIteration] = []
        loop.onLongIteration = { reports.append($0) }
        try loop.runOnce(maximumWait: .milliseconds(1))
        #expect(reports.isEmpty)

        loop.schedule(at: loop.now) {}
        let line = #line + 1
        loop.schedule(at: loop.now) {
            let until = ThreadCPUClock.nanoseconds() + 30_000_000
            while ThreadCPUClock.nanoseconds() < until {}
        }
        try loop.runOnce(maximumWait: .milliseconds(1))
        try #require(reports.count == 1)
        #expect(reports[0].busy >= .milliseconds(30) && reports[0].onCPU >= .milliseconds(30))
        #expect(reports[0].timers >= .milliseconds(30))
        // The slowest of the two timers is named by where it was scheduled.
        #expect(reports[0].slowestTimer?.site == "TaskhookPosixTests/EventLoopTests.swift:\(line)")
        #expect(reports[0].slowestTimer.map { $0.time >= .milliseconds(30) } == true)
        #expect(reports[0].user + reports[0].system > .milliseconds(10))  // a tick or more behind at most

        let wake = try EventFD()
        var stopAfterSleep = false
        _ = try loop.register(wake.rawValue, interest: .readable) { _ in
            wake.drain()
            usleep(30_000)
            if stopAfterSleep { loop.stop() }
        }
        wake.signal()
        try loop.runOnce(maximumWait: .milliseconds(100))
        try #require(reports.count == 2)
        #expect(reports[1].busy >= .milliseconds(30) && reports[1].handlers >= .milliseconds(30))
        #expect(reports[1].onCPU < .milliseconds(10) && reports[1].timers < .milliseconds(10))
        #expect(reports[1].slowestTimer == nil)  // no timer fired in it

        stopAfterSleep = true
        wake.signal()
        try loop.run()
        #expect(reports.count == 2)
    }

    @Test func aDisarmedTimerDoesNotFire() throws {
        let loop = try EventLoop()
        var fired = false
        let t = loop.addTimer { fired = true }
        loop.setTimer(t, deadline: loop.now + .milliseconds(1))
        loop.setTimer(t, deadline: nil)
        try loop.runOnce(maximumWait: .milliseconds(20))
        #expect(!fired)
    }

    @Test func anEventFDSignalledFromAnotherThreadWakesTheLoop() throws {
        let loop = try EventLoop()
        let wake = try EventFD()
        var woken: UInt64 = 0
        _ = try loop.register(wake.rawValue, interest: .readable) { _ in
            woken += wake.drain()
            loop.stop()
        }
        let thread = Thread { wake.signal() }
        thread.start()
        try loop.run()  // returns only once the other thread's signal arrived
        thread.join()
        #expect(woken == 1)
    }

    @Test func anEventForAClosedAndReusedDescriptorIsDropped() throws {
        let loop = try EventLoop()
        let first = try EventFD()
        var second: EventFD? = try EventFD()
        var replacement: EventFD?
        var secondCalls = 0
        var replacementCalls = 0
        var secondRegistration: EventLoop.Registration?
        _ = try loop.register(first.rawValue, interest: .readable) { _ in
            first.drain()
            // Both events are in this batch; close the second fd and reuse its number.
            if let registration = secondRegistration { loop.deregister(registration) }
            let oldNumber = second!.rawValue
            second = nil
            // The kernel hands out the lowest free number; a test on another thread may just have
            // freed a lower one, so take numbers until the old one comes back (held till then).
            var taken: [EventFD] = []
            var fresh = try! EventFD()
            while fresh.rawValue < oldNumber, taken.count < 64 {
                taken.append(fresh)
                fresh = try! EventFD()
            }
            taken.removeAll()
            #expect(fresh.rawValue == oldNumber)
            fresh.signal()
            replacement = fresh
            _ = try! loop.register(fresh.rawValue, interest: .readable) { _ in
                replacementCalls += 1
                fresh.drain()
            }
        }
        secondRegistration = try loop.register(second!.rawValue, interest: .readable) { _ in secondCalls += 1 }
        first.signal()
        second!.signal()
        try loop.runOnce(maximumWait: .milliseconds(100))
        #expect(secondCalls == 0)
        try loop.runOnce(maximumWait: .milliseconds(100))
        #expect(replacementCalls == 1)
        _ = replacement
    }

    @Test func signalsArriveThroughTheSignalFD() throws {
        let done = Locked(false)
        // Block and read SIGUSR1 on a thread of its own so the rest of the test process is untouched.
        let thread = Thread {
            let signals = try! SignalFD([SIGUSR1])
            let loop = try! EventLoop()
            var received: [Int32] = []
            _ = try! loop.register(signals.descriptor.rawValue, interest: .readable) { _ in
                while let s = try! signals.next() { received.append(s) }
                loop.stop()
            }
            pthread_kill(pthread_self(), SIGUSR1)
            try! loop.run()
            done.withLock { $0 = received == [SIGUSR1] }
        }
        thread.start()
        thread.join()
        #expect(done.value)
    }
}
