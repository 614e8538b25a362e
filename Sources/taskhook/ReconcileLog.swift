import TaskhookClient
import TaskhookCore

/// The reconciler's standard error, one line an event as taskhookd logs: `LEVEL message key=value …`,
/// a value with spaces or quotes written as a JSON string.
enum ReconcileLog {
    static func line(_ level: String, _ message: String, _ fields: [(String, String)]) {
        let rendered = fields.map { name, value in "\(name)=\(quoted(value))" }
        printError(([level, message] + rendered).joined(separator: " "))
    }

    static func quoted(_ value: String) -> String {
        guard value.isEmpty || value.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" || $0.isNewline })
        else { return value }
        return JSON.string(value).text
    }

    /// One line per read: task, endpoint, outcome, status (or why it failed), duration.
    static func read(_ target: PollTarget, _ result: Reconciler.ReadResult, seconds: Double) {
        var level = "info"
        let outcome: String
        let status: (String, String)
        switch result {
        case .handedOver(let answer, let word, _):
            outcome = answer.rawValue
            status = ("status", word)
        case .running(let word):
            outcome = "running"
            status = ("status", word)
        case .providerFailed(let error):
            level = "warning"
            outcome = error.isTransient ? "retry" : "refused"
            status = ("reason", error.description)
        case .daemonUnavailable(let reason):
            level = "warning"
            outcome = "retry"
            status = ("reason", reason)
        case .daemonRefused(let code, let reason):
            level = "warning"
            outcome = code == 404 ? "unknown" : "refused"
            status = ("reason", reason)
        }
        line(
            level, "read",
            [
                ("task", target.key), ("endpoint", target.endpoint.rawValue), ("outcome", outcome), status,
                ("duration_ms", String(Int((seconds * 1000).rounded()))),
            ])
    }

    static func notice(_ notice: Reconciler.Notice) {
        switch notice {
        case .unpollable(let key, let reason):
            line("info", "not polled", [("task", key), ("reason", reason)])
        case .gaveUp(let key, let reason):
            line("warning", "gave up", [("task", key), ("reason", reason)])
        case .listingFailed(let reason, let retryIn):
            var fields = [("reason", reason)]
            if let retryIn { fields.append(("retry_in_ms", String(Int((retryIn * 1000).rounded())))) }
            line("warning", "listing failed", fields)
        }
    }
}
