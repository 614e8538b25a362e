import TaskhookCore

extension ControlResponse {
    /// The daemon's reason: `{"error": …}` for JSON answers, else the text (trimmed).
    public var message: String {
        if let reason = (try? JSON.parse(body))?["error"]?.string { return reason }
        let trimmed = text.trimmed
        return trimmed.isEmpty ? "HTTP \(status)" : trimmed
    }
}
