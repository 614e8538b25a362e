import Logging
import TaskhookHTTP
import TaskhookPosix

#if canImport(Glibc)
    import Glibc
#endif

/// The running daemon: one event loop thread with the listeners, the signals and the routes.
public final class Daemon {
    public enum StartError: Error, CustomStringConvertible {
        case listen(SocketAddress, SyscallError)
        case setup(SyscallError)

        public var description: String {
            switch self {
            case .listen(let address, let error): "cannot listen on \(address): \(error)"
            case .setup(let error): "cannot set up the event loop: \(error)"
            }
        }
    }

    private let configuration: DaemonConfiguration
    private let logger: Logger
    private let loop: EventLoop
    private let server: HTTPServer
    private let signals: SignalFD
    private var stopping = false

    /// Blocks the signals it handles (call before starting any other thread), creates the loop
    /// and binds every listener, so a bad address fails the start.
    public init(configuration: DaemonConfiguration, logger: Logger) throws(StartError) {
        self.configuration = configuration
        self.logger = logger
        SignalFD.ignoreSIGPIPE()
        do {
            signals = try SignalFD([SIGTERM, SIGINT, SIGHUP])
            loop = try EventLoop()
        } catch {
            throw .setup(error)
        }
        server = HTTPServer(loop: loop, configuration: configuration.server)
        server.onDiagnostic = { [logger] diagnostic in
            switch diagnostic {
            case .acceptFailed(let listener, let error):
                logger.warning("accept failed", metadata: ["listener": "\(listener)", "error": "\(error)"])
            case .connectionLimitReached(let limit):
                logger.warning("connection limit reached; answering 503", metadata: ["limit": "\(limit)"])
            }
        }
        let routes = PublicRoutes(discardPaths: configuration.discardPaths)
        for address in configuration.listen {
            do {
                let socket = try ListeningSocket(binding: address)
                try server.addListener(socket, name: "http", handler: routes)
            } catch {
                throw .listen(address, error)
            }
        }
    }

    /// The addresses actually bound (ports resolved when 0 was configured).
    public var listenAddresses: [SocketAddress] { server.listenerAddresses }

    /// Runs until SIGTERM or SIGINT and a graceful drain.
    public func run() throws(SyscallError) {
        _ = try loop.register(signals.descriptor.rawValue, interest: .readable) { [unowned self] _ in
            self.readSignals()
        }
        for address in listenAddresses {
            logger.info("listening", metadata: ["listener": "http", "address": "\(address)"])
        }
        try loop.run()
        logger.info("stopped")
    }

    private func readSignals() {
        while let signal = try? signals.next() {
            switch signal {
            case SIGTERM, SIGINT:
                beginStop(signal: signal)
            case SIGHUP:
                logger.notice("SIGHUP received; nothing to reload: the daemon runs on its command-line settings")
            default:
                break
            }
        }
    }

    private func beginStop(signal: Int32) {
        guard !stopping else { return }
        stopping = true
        logger.info(
            "stopping: draining connections",
            metadata: [
                "signal": "\(signal == SIGTERM ? "SIGTERM" : "SIGINT")", "connections": "\(server.connectionCount)",
                "drain_timeout": "\(configuration.drainTimeout)",
            ])
        server.drain(deadline: loop.now + configuration.drainTimeout) { [unowned self] in
            self.loop.stop()
        }
    }
}
