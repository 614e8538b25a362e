import Logging
import TaskhookHTTP
import TaskhookPosix

/// SIGTERM or SIGINT: stop accepting, answer what is in flight (waiters get 503 and retry),
/// then a last checkpoint and every queued record written before the loop ends.
final class Shutdown {
    private let loop: EventLoop
    private let server: HTTPServer
    private let control: ControlRoutes
    private let recorder: DeliveryRecorder
    private let heartbeat: ServiceHeartbeat
    private let drainTimeout: Duration
    private let logger: Logger
    private(set) var isStopping = false

    init(
        loop: EventLoop, server: HTTPServer, control: ControlRoutes, recorder: DeliveryRecorder,
        heartbeat: ServiceHeartbeat, drainTimeout: Duration, logger: Logger
    ) {
        self.loop = loop
        self.server = server
        self.control = control
        self.recorder = recorder
        self.heartbeat = heartbeat
        self.drainTimeout = drainTimeout
        self.logger = logger
    }

    func begin(signal name: String) {
        guard !isStopping else { return }
        isStopping = true
        heartbeat.stopping()
        logger.info(
            "stopping: draining connections",
            metadata: [
                "signal": "\(name)", "connections": "\(server.connectionCount)", "drain_timeout": "\(drainTimeout)",
            ])
        control.shutdown()
        server.drain(deadline: loop.now + drainTimeout) { [unowned self] in self.finish() }
    }

    /// After the drain: a last checkpoint, every queued record written, then the loop ends.
    private func finish() {
        recorder.checkpoint()
        recorder.close()
        if recorder.pendingCount > 0 {
            logger.error("records still pending at exit", metadata: ["count": "\(recorder.pendingCount)"])
        }
        loop.stop()
    }
}
