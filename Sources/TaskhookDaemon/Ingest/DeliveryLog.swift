import Logging
import TaskhookCore

/// The line logged for each task event of a recorded callback:
/// `INFO delivery recorded journal_seq=… peer=… provider=… route=… task_id=… task_status=…`.
///
/// Logged through swift-log it costs a metadata dictionary, a String per value and the line in
/// an array of its own, for every callback. When the logger writes plain lines (`LineLogHandler`
/// with no metadata of its own, as taskhookd's stderr logger is), the line is formatted straight
/// into the output's waiting lines instead, byte for byte the line the handler would write.
/// Under another handler (journald) it goes through the logger as before.
struct DeliveryLog {
    private let logger: Logger
    private let lines: LineLogOutput?

    init(logger: Logger) {
        self.logger = logger
        if let handler = logger.handler as? LineLogHandler, handler.metadata.isEmpty {
            lines = handler.output
        } else {
            lines = nil
        }
    }

    func recorded(_ event: TaskEvent, sequence: UInt64, provider: String, route: String, peer: String) {
        guard logger.logLevel <= .info else { return }
        guard let lines else {
            logger.info(
                "delivery recorded",
                metadata: [
                    "task_id": "\(event.taskID)", "provider": "\(provider)", "task_status": "\(event.status.rawValue)",
                    "route": "\(route)", "journal_seq": "\(sequence)", "peer": "\(peer)",
                ])
            return
        }
        lines.writeLine(urgent: false) { line in
            // The keys in sorted order, as LineLogHandler writes them.
            LineLogHandler.appendStart(level: .info, message: "delivery recorded", to: &line)
            LineLogHandler.appendField("journal_seq", sequence, to: &line)
            LineLogHandler.appendField("peer", peer, to: &line)
            LineLogHandler.appendField("provider", provider, to: &line)
            LineLogHandler.appendField("route", route, to: &line)
            LineLogHandler.appendField("task_id", event.taskID, to: &line)
            LineLogHandler.appendField("task_status", event.status.rawValue, to: &line)
            line.append(UInt8(ascii: "\n"))
        }
    }
}
