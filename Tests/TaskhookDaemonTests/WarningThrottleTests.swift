import TaskhookPosix
import Testing

@testable import TaskhookDaemon

/// Issue 14, item 5: a flood of one warning costs a line per interval, which counts the rest.
@Suite struct WarningThrottleTests {
    let start = Instant(nanoseconds: 1_000_000_000)

    @Test func theFirstOfAKindIsLoggedAndRepeatsWithinTheIntervalAreCountedNotLogged() {
        var limiter = RepeatLimiter(interval: .seconds(10))
        #expect(limiter.admit("bad signature /hooks/a", now: start) == 0)
        for i in 1...1000 {
            #expect(limiter.admit("bad signature /hooks/a", now: start + .milliseconds(i)) == nil)
        }
        // The next line, an interval later, says how many it stands for.
        #expect(limiter.admit("bad signature /hooks/a", now: start + .seconds(10)) == 1000)
        #expect(limiter.admit("bad signature /hooks/a", now: start + .seconds(11)) == nil)
    }

    @Test func eachKindHasItsOwnAllowance() {
        var limiter = RepeatLimiter(interval: .seconds(10))
        #expect(limiter.admit("bad signature /hooks/a", now: start) == 0)
        #expect(limiter.admit("connection limit http", now: start) == 0)
        #expect(limiter.admit("bad signature /hooks/a", now: start + .seconds(1)) == nil)
        #expect(limiter.admit("bad signature /hooks/b", now: start + .seconds(1)) == 0)
    }

    @Test func kindsBeyondTheBoundShareOneAllowance() {
        var limiter = RepeatLimiter(interval: .seconds(10), maxKinds: 3)
        for kind in ["a", "b"] { #expect(limiter.admit(kind, now: start) == 0) }
        #expect(limiter.admit("c", now: start) == 0)
        // "c" took the last slot; every new kind now shares the "(other)" one.
        #expect(limiter.admit("d", now: start) == 0)
        #expect(limiter.admit("e", now: start) == nil)
        #expect(limiter.admit("f", now: start + .seconds(10)) == 1)
    }
}
