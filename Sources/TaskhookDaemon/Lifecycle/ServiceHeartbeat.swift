import TaskhookPosix
import TaskhookSystemd

/// What the daemon tells its service manager while it runs: STATUS= once a second (the line
/// `systemctl status` shows) and WATCHDOG=1 at half the watchdog interval. Both are sent from
/// the event loop itself, so a stuck loop stops the pings and trips the watchdog.
final class ServiceHeartbeat {
    private let loop: EventLoop
    private let service: ServiceManager
    private let status: () -> String

    init(loop: EventLoop, service: ServiceManager, status: @escaping () -> String) {
        self.loop = loop
        self.service = service
        self.status = status
    }

    /// READY=1: the journal is replayed and every listener is open.
    func ready() {
        guard let notifier = service.notifier else { return }
        notifier.notify("READY=1\nSTATUS=\(status())")
        loop.addRepeatingTimer(every: .seconds(1), first: loop.now + .seconds(1)) { [unowned self] in
            notifier.notify("STATUS=\(self.status())")
        }
        if let interval = service.watchdogInterval {
            let half = Duration.nanoseconds(Int64(interval.nanoseconds / 2))
            notifier.notify("WATCHDOG=1")
            loop.addRepeatingTimer(every: half, first: loop.now + half) { notifier.notify("WATCHDOG=1") }
        }
    }

    /// RELOADING=1 with the monotonic time systemd requires; `reloaded()` ends it.
    func reloading() {
        let monotonic = Instant.now().nanoseconds / 1000
        service.notifier?.notify("RELOADING=1\nMONOTONIC_USEC=\(monotonic)\nSTATUS=reloading")
    }

    func reloaded() { service.notifier?.notify("READY=1\nSTATUS=\(status())") }

    func stopping() { service.notifier?.notify("STOPPING=1\nSTATUS=stopping") }
}
