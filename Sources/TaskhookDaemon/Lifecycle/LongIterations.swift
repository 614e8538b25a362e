import Logging
import TaskhookPosix

/// The warning for an event loop iteration that held every connection, waiter and watchdog ping
/// up for `EventLoop.reportedIteration` or longer, with what tells its causes apart:
/// - `cpu_ms` close to `busy_ms`: the loop's own work, or a machine running it slower (a VM's
///   host reclaiming memory slows every memory access of the guest for a moment, with no fault
///   or system call to show for it);
/// - `cpu_ms` well below `busy_ms`: the loop was off its CPU (other threads or processes ran,
///   or the hypervisor took the CPU: its steal time);
/// - `system_ms` and `minor_faults`/`major_faults`: the kernel's share, memory being mapped or
///   read in;
/// - `timers_ms`, `handlers_ms`, `hooks_ms`: which part of the iteration it was (timers page
///   backlogs and sweep the table; handlers answer requests);
/// - `slowest_timer`, `slowest_timer_ms`: which timer ran longest (where it was added, as
///   `Module/File.swift:line`), when any fired.
extension EventLoop.LongIteration {
    static let message: Logger.Message = "an event loop iteration held everything up"

    var metadata: Logger.Metadata {
        var metadata: Logger.Metadata = [
            "busy_ms": "\(Self.milliseconds(busy))", "cpu_ms": "\(Self.milliseconds(onCPU))",
            "user_ms": "\(Self.milliseconds(user))", "system_ms": "\(Self.milliseconds(system))",
            "minor_faults": "\(minorFaults)", "major_faults": "\(majorFaults)",
            "timers_ms": "\(Self.milliseconds(timers))", "handlers_ms": "\(Self.milliseconds(handlers))",
            "hooks_ms": "\(Self.milliseconds(hooks))",
        ]
        if let slowestTimer {
            metadata["slowest_timer"] = "\(slowestTimer.site)"
            metadata["slowest_timer_ms"] = "\(Self.milliseconds(slowestTimer.time))"
        }
        return metadata
    }

    /// Milliseconds with one decimal: `83.7`.
    static func milliseconds(_ duration: Duration) -> String {
        let tenths = duration.nanoseconds / 100_000
        return "\(tenths / 10).\(tenths % 10)"
    }
}

/// Which long iterations to log, and when: the first at once, then at most one line an
/// `interval`, the **longest** of those that came meanwhile, logged when the interval ends
/// (`flushDeadline`), with how many others it stands for. A burst of long iterations, as a
/// machine's stall brings, is read as its worst one, not as whichever came first. Pure: the
/// clock is passed in.
struct LongestInInterval {
    let interval: Duration
    private var lastLogged: Instant?
    private var held: (longest: EventLoop.LongIteration, count: Int)?

    init(interval: Duration = .seconds(10)) { self.interval = interval }

    /// `long`, to log now; nil: held (the caller flushes at `flushDeadline`).
    mutating func report(_ long: EventLoop.LongIteration, now: Instant) -> EventLoop.LongIteration? {
        if held == nil, lastLogged.map({ now >= $0 + interval }) ?? true {
            lastLogged = now
            return long
        }
        if let current = held {
            held = (long.busy > current.longest.busy ? long : current.longest, current.count + 1)
        } else {
            held = (long, 1)
        }
        return nil
    }

    /// When the held ones are due: an interval after the last line; nil: none held.
    var flushDeadline: Instant? { held == nil ? nil : lastLogged.map { $0 + interval } }

    /// The longest held iteration and how many others came with it; nil: none held.
    mutating func flush(now: Instant) -> (longest: EventLoop.LongIteration, others: Int)? {
        guard let held else { return nil }
        self.held = nil
        lastLogged = now
        return (held.longest, held.count - 1)
    }
}

/// Logs the loop's long iterations through `LongestInInterval`, a timer on the loop flushing
/// the held ones (`repeated=N`: N others in the same interval, all shorter).
final class LongIterationLog {
    private let logger: Logger
    private unowned let loop: EventLoop
    private var choice: LongestInInterval
    private var timer: EventLoop.TimerID?

    init(loop: EventLoop, logger: Logger, interval: Duration = .seconds(10)) {
        self.loop = loop
        self.logger = logger
        choice = LongestInInterval(interval: interval)
    }

    func report(_ long: EventLoop.LongIteration) {
        if let now = choice.report(long, now: Instant.now()) {
            logger.warning(EventLoop.LongIteration.message, metadata: now.metadata)
            return
        }
        if timer == nil { timer = loop.addTimer { [unowned self] in self.flush() } }
        loop.setTimer(timer!, deadline: choice.flushDeadline)
    }

    /// Logs the held one now: the daemon calls it as it stops, so the longest iteration of its
    /// last interval is not lost with the timer.
    func flush() {
        guard let (longest, others) = choice.flush(now: Instant.now()) else { return }
        var metadata = longest.metadata
        if others > 0 { metadata["repeated"] = "\(others)" }
        logger.warning(EventLoop.LongIteration.message, metadata: metadata)
    }
}
