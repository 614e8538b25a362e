import TaskhookCore

/// What one status read says about a task.
public enum PollOutcome: Sendable, Equatable {
    /// A body in the shape of the provider's callback, for the daemon to read with the same profile
    /// normalizer it reads callbacks with (journaled as an `observation`).
    case observation([UInt8])
    /// The task is still running and the provider's word for it has no callback counterpart (fal's
    /// `IN_QUEUE`/`IN_PROGRESS`): nothing to record.
    case pending(String)
    /// fal's queue says `COMPLETED`: the outcome is in the result, read next from this URL.
    case fetchResult(String)
}

extension SeedEndpoint {
    /// The outcome of a status GET of `task`.
    public func readStatusAnswer(status: Int, body: [UInt8], task: SubmittedTask, retryAfter: Double? = nil)
        throws(SubmitError) -> PollOutcome
    {
        let answer = try Self.successBody(status: status, body: body, retryAfter: retryAfter)
        switch self {
        case .freepikKlingV25Pro, .freepikKlingV2, .freepikKlingElementsPro, .freepikKlingV21Std:
            // `{"data": {task_id, status, generated}}`: the callback's body inside `data`, which the
            // Freepik normalizer reads as it is.
            guard answer["data"]?["status"]?.string != nil else {
                throw .unreadableAnswer("no data.status in \(Self.excerpt(body))")
            }
            return .observation(body)
        case .klingImageToVideo:
            guard answer["data"]?["task_status"]?.string != nil else {
                throw .unreadableAnswer("no data.task_status in \(Self.excerpt(body))")
            }
            return .observation(body)
        case .falKlingV25TurboPro, .aggregatorKlingV25TurboPro:
            guard let word = answer["status"]?.string else {
                throw .unreadableAnswer("no status in \(Self.excerpt(body))")
            }
            guard word == "COMPLETED" else { return .pending(word) }
            guard let url = task.resultURL ?? answer["response_url"]?.string, !url.isEmpty else {
                throw .unreadableAnswer("COMPLETED without a response_url in \(Self.excerpt(body))")
            }
            return .fetchResult(url)
        }
    }

    /// The observation a fal result GET makes: fal's callback body, `OK` with the model's output as
    /// its payload, or `ERROR` with the queue's error detail (a failed request's result answers 4xx
    /// with `{"detail": …}`).
    public func readResultAnswer(status: Int, body: [UInt8], task: SubmittedTask, retryAfter: Double? = nil)
        throws(SubmitError) -> PollOutcome
    {
        let header: [(key: String, value: JSON)] = [
            ("request_id", .string(task.taskID)), ("gateway_request_id", .string(task.taskID)),
        ]
        switch status {
        case 200..<300:
            let output = try Self.successBody(status: status, body: body)
            return .observation(JSON.object(header + [("status", "OK"), ("payload", output)]).bytes)
        case 429, 500...599:
            throw .unavailable(status: status, retryAfter: retryAfter)
        default:
            // fal answers a failed request's result with a 4xx (422 for bad input) and the model's
            // error detail; a 5xx is the queue's own trouble, retried.
            let detail = (try? JSON.parse(body)) ?? .string(Self.excerpt(body))
            return .observation(
                JSON.object(
                    header + [
                        ("status", "ERROR"), ("error", .string("Invalid status code: \(status)")),
                        ("payload", detail.isObject ? detail : ["detail": detail]),
                    ]
                ).bytes)
        }
    }
}
