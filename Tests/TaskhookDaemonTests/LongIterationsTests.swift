import Logging
import TaskhookPosix
import TestSupport
import Testing

@testable import TaskhookDaemon

/// The warning for a long event loop iteration: its figures in milliseconds, one decimal, under
/// the names the operator's guide gives.
@Suite struct LongIterationsTests {
    @Test func millisecondsHaveOneDecimalRoundedDown() {
        #expect(EventLoop.LongIteration.milliseconds(.microseconds(83_759)) == "83.7")
        #expect(EventLoop.LongIteration.milliseconds(.microseconds(50_000)) == "50.0")
        #expect(EventLoop.LongIteration.milliseconds(.microseconds(99)) == "0.0")
        #expect(EventLoop.LongIteration.milliseconds(.seconds(2)) == "2000.0")
    }

    @Test func theWarningCarriesEveryFigureOfTheIteration() {
        let long = EventLoop.LongIteration(
            busy: .microseconds(83_750), onCPU: .microseconds(62_876), user: .microseconds(60_000),
            system: .microseconds(2_876), minorFaults: 12, majorFaults: 1, timers: .microseconds(78_293),
            handlers: .microseconds(4_300), hooks: .microseconds(1_157))
        let expected: Logger.Metadata = [
            "busy_ms": "83.7", "cpu_ms": "62.8", "user_ms": "60.0", "system_ms": "2.8", "minor_faults": "12",
            "major_faults": "1", "timers_ms": "78.2", "handlers_ms": "4.3", "hooks_ms": "1.1",
        ]
        #expect(long.metadata == expected)
        var timed = long
        timed.slowestTimer = .init(site: "TaskhookDaemon/EventStream.swift:140", time: .microseconds(77_010))
        #expect(timed.metadata["slowest_timer"] == "TaskhookDaemon/EventStream.swift:140")
        #expect(timed.metadata["slowest_timer_ms"] == "77.0")
        #expect(timed != long)
    }

    static func long(_ milliseconds: Int64) -> EventLoop.LongIteration {
        EventLoop.LongIteration(
            busy: .milliseconds(milliseconds), onCPU: .milliseconds(milliseconds), user: .zero, system: .zero,
            minorFaults: 0, majorFaults: 0, timers: .zero, handlers: .milliseconds(milliseconds), hooks: .zero)
    }

    @Test func theFirstIsLoggedAtOnceThenTheLongestOfEachIntervalWhenItEnds() {
        let start = Instant(nanoseconds: 1_000_000_000)
        var choice = LongestInInterval(interval: .seconds(10))
        #expect(choice.report(Self.long(60), now: start) == Self.long(60))
        #expect(choice.flushDeadline == nil)
        #expect(choice.report(Self.long(70), now: start + .seconds(1)) == nil)
        #expect(choice.report(Self.long(400), now: start + .seconds(2)) == nil)
        #expect(choice.report(Self.long(55), now: start + .seconds(3)) == nil)
        #expect(choice.flushDeadline == start + .seconds(10))
        let flushed = choice.flush(now: start + .seconds(10))
        #expect(flushed?.longest == Self.long(400) && flushed?.others == 2)
        #expect(choice.flush(now: start + .seconds(10)) == nil)
        // An interval after that line, the next is logged at once again.
        #expect(choice.report(Self.long(80), now: start + .seconds(15)) == nil)
        #expect(choice.flush(now: start + .seconds(20))?.others == 0)
        #expect(choice.report(Self.long(90), now: start + .seconds(30)) == Self.long(90))
    }

    @Test func theLoopsTimerLogsTheLongestHeldOne() throws {
        let lines = Locked<[Logger.Metadata]>([])
        let logger = Logger(label: "test") { _ in CollectingLogHandler(lines: lines) }
        let loop = try EventLoop()
        let log = LongIterationLog(loop: loop, logger: logger, interval: .milliseconds(30))
        for milliseconds: Int64 in [60, 75, 310, 52] { log.report(Self.long(milliseconds)) }
        #expect(lines.withLock { $0.map { $0["busy_ms"] } } == ["60.0"])
        let deadline = Instant.now() + .seconds(5)
        while lines.withLock({ $0.count }) < 2, Instant.now() < deadline {
            try loop.runOnce(maximumWait: .milliseconds(10))
        }
        let second = lines.withLock { $0.last }
        #expect(second?["busy_ms"] == "310.0" && second?["repeated"] == "2")
    }

    /// As the daemon stops, the held one is logged, not lost with the timer that would have.
    @Test func theHeldOneIsLoggedWhenTheDaemonStops() throws {
        let lines = Locked<[Logger.Metadata]>([])
        let logger = Logger(label: "test") { _ in CollectingLogHandler(lines: lines) }
        let loop = try EventLoop()
        let log = LongIterationLog(loop: loop, logger: logger, interval: .seconds(3600))
        for milliseconds: Int64 in [60, 98, 52] { log.report(Self.long(milliseconds)) }
        #expect(lines.withLock { $0.count } == 1)
        log.flush()
        #expect(lines.withLock { $0.map { $0["busy_ms"] } } == ["60.0", "98.0"])
        log.flush()  // nothing held: nothing more
        #expect(lines.withLock { $0.count } == 2)
    }
}

/// Keeps each line's metadata.
private struct CollectingLogHandler: LogHandler {
    let lines: Locked<[Logger.Metadata]>
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        lines.withLock { $0.append(event.metadata ?? [:]) }
    }
}
