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
///   backlogs and sweep the table; handlers answer requests).
extension EventLoop.LongIteration {
    static let message: Logger.Message = "an event loop iteration held everything up"

    var metadata: Logger.Metadata {
        [
            "busy_ms": "\(Self.milliseconds(busy))", "cpu_ms": "\(Self.milliseconds(onCPU))",
            "user_ms": "\(Self.milliseconds(user))", "system_ms": "\(Self.milliseconds(system))",
            "minor_faults": "\(minorFaults)", "major_faults": "\(majorFaults)",
            "timers_ms": "\(Self.milliseconds(timers))", "handlers_ms": "\(Self.milliseconds(handlers))",
            "hooks_ms": "\(Self.milliseconds(hooks))",
        ]
    }

    /// Milliseconds with one decimal: `83.7`.
    static func milliseconds(_ duration: Duration) -> String {
        let tenths = duration.nanoseconds / 100_000
        return "\(tenths / 10).\(tenths % 10)"
    }
}
