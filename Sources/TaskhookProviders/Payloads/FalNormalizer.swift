import TaskhookCore

/// fal.ai's queue callback, sent once when a request is done:
/// `{"request_id", "status": "OK"|"ERROR", "payload", "error"?, "payload_error"?}`.
public struct FalNormalizer: PayloadNormalizer {
    static let statuses: KeyValuePairs<String, TaskStatus> = ["OK": .completed, "ERROR": .failed]

    public init() {}

    public func normalize(_ callback: Callback) -> Normalized {
        do throws(PayloadProblem) {
            let task = try TaskObject(body: callback.body)
            let requestID = try task.identifier("request_id")
            let status = try task.status("status", provider: "fal", table: Self.statuses)
            let payload = task["payload"] ?? .null
            var event = TaskEvent(taskID: requestID, provider: FalProfile.name, status: status)
            var note: String? = nil
            if status == .failed {
                event.error = Self.errorMessage(task["error"]?.string, payload: payload)
            } else if let payloadError = task["payload_error"], !payloadError.isNull {
                // fal could not serialize the output: the request succeeded but its results must be fetched
                // from the queue's response_url.
                let detail = payloadError.string.map { ": \($0)" } ?? ""
                note = "fal sent no payload (payload_error\(detail)); fetch the result from the queue"
            } else {
                // The model's video first, then every other URL the output mentions.
                event.results = TaskObject.httpURLs(in: [payload["video"]?["url"] ?? .null, payload])
            }
            return .events([event], note: note)
        } catch {
            return .unparsed(reason: error.reason)
        }
    }

    /// fal's `error`, followed by the validation details of a FastAPI-style `payload.detail`, e.g.
    /// "Invalid status code: 422 (body.prompt: field required)".
    static func errorMessage(_ error: String?, payload: JSON) -> String? {
        var details: [String] = []
        if let text = payload["detail"]?.string { details.append(text) }
        for item in payload["detail"]?.array ?? [] {
            guard let message = item["msg"]?.string else { continue }
            let location = (item["loc"]?.array ?? []).compactMap { $0.string ?? $0.numberText }
            details.append(location.isEmpty ? message : "\(location.joined(separator: ".")): \(message)")
        }
        let detail = details.isEmpty ? nil : details.joined(separator: "; ")
        switch (error.flatMap { $0.isEmpty ? nil : $0 }, detail) {
        case (let error?, let detail?): return "\(error) (\(detail))"
        case (let error?, nil): return error
        case (nil, let detail?): return detail
        case (nil, nil): return nil
        }
    }
}
