import CSystemd

/// Tells the service manager how the daemon is doing (sd_notify(3)): READY=1, STATUS=…,
/// WATCHDOG=1, RELOADING=1, STOPPING=1. A protocol, so tests can record what is said.
public protocol ServiceNotifier: AnyObject {
    func notify(_ assignments: String)
}

/// The real one: one datagram to `$NOTIFY_SOCKET` per call. Variadic `sd_notifyf` cannot be
/// called from Swift, so the text is formatted here and passed to `sd_notify`.
public final class SystemdNotifier: ServiceNotifier {
    private init() {}

    /// nil when not started by a service manager that listens (`$NOTIFY_SOCKET` unset).
    public static func fromEnvironment(_ environment: [String: String]) -> SystemdNotifier? {
        guard let socket = environment["NOTIFY_SOCKET"], !socket.isEmpty else { return nil }
        return SystemdNotifier()
    }

    public func notify(_ assignments: String) {
        _ = sd_notify(0, assignments)
    }

    /// The watchdog interval the manager expects pings within (`WatchdogSec=`), if any; the
    /// variables are removed so children do not inherit them.
    public static func watchdogInterval() -> Duration? {
        var usec: UInt64 = 0
        guard sd_watchdog_enabled(1, &usec) > 0, usec > 0 else { return nil }
        return .microseconds(Int64(usec))
    }
}
