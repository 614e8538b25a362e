import Logging
import TaskhookPosix

#if canImport(Glibc)
    import Glibc
#endif

/// The signals the daemon handles, read from a signalfd on the loop: SIGTERM and SIGINT stop
/// it, SIGHUP reloads it, and (only with --test-hang-signal) SIGUSR2 blocks the loop for good,
/// so a test can prove that the watchdog trips.
final class SignalHandler {
    private let signals: SignalFD
    private let hangOnSIGUSR2: Bool
    private let logger: Logger

    /// Blocks the signals (before any other thread starts, so every thread inherits the mask).
    init(hangOnSIGUSR2: Bool, logger: Logger) throws(SyscallError) {
        self.hangOnSIGUSR2 = hangOnSIGUSR2
        self.logger = logger
        signals = try SignalFD([SIGTERM, SIGINT, SIGHUP] + (hangOnSIGUSR2 ? [SIGUSR2] : []))
        SignalFD.ignoreSIGPIPE()
    }

    /// Watches the signalfd: `stop` gets the signal's name, `reload` runs on SIGHUP.
    func register(on loop: EventLoop, stop: @escaping (String) -> Void, reload: @escaping () -> Void)
        throws(SyscallError)
    {
        _ = try loop.register(signals.descriptor.rawValue, interest: .readable) { [unowned self] _ in
            self.read(stop: stop, reload: reload)
        }
    }

    private func read(stop onStop: (String) -> Void, reload onReload: () -> Void) {
        while let signal = try? signals.next() {
            switch signal {
            case SIGTERM: onStop("SIGTERM")
            case SIGINT: onStop("SIGINT")
            case SIGHUP: onReload()
            case SIGUSR2 where hangOnSIGUSR2:
                logger.critical("test hang requested: the event loop stops here (--test-hang-signal)")
                OSThread.blockForever()
            default: break
            }
        }
    }
}
