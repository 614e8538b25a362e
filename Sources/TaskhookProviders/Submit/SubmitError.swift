/// Why a submit or a status poll did not give an answer to act on, worded for the person running it.
public enum SubmitError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A bad command line or parameter file.
    case usage(String)
    /// The request breaks the endpoint's seed schema; nothing was sent.
    case invalidRequest([SchemaRefusal])
    /// The provider refused the request for good (4xx other than 429): retrying will not help.
    case refused(status: Int, message: String)
    /// The provider is busy or failing (429, 5xx): try again, no sooner than `retryAfter` seconds
    /// when it said so.
    case unavailable(status: Int, retryAfter: Double?)
    /// A 2xx answer that does not say what the API documents.
    case unreadableAnswer(String)
    /// No answer at all: connection refused, timeout, TLS.
    case unreachable(String)

    public var description: String {
        switch self {
        case .usage(let text): text
        case .invalidRequest(let refusals):
            "the request is refused before sending: " + refusals.map(\.description).joined(separator: "; ")
        case .refused(let status, let message): "the provider refused the request (HTTP \(status)): \(message)"
        case .unavailable(let status, let retryAfter):
            "the provider is unavailable (HTTP \(status))" + (retryAfter.map { "; retry after \($0) s" } ?? "")
        case .unreadableAnswer(let why): "the provider's answer is not what its API documents: \(why)"
        case .unreachable(let why): "the provider cannot be reached: \(why)"
        }
    }

    /// Whether the same request may succeed later.
    public var isTransient: Bool {
        switch self {
        case .unavailable, .unreachable: true
        default: false
        }
    }

    /// Whether a create request that ended so may still have started a task: one that never got
    /// an answer, or got a 2xx it could not read. A refusal, a 429/5xx or a request never sent
    /// started none.
    public var mayHaveStartedTask: Bool {
        switch self {
        case .unreachable, .unreadableAnswer: true
        case .usage, .invalidRequest, .refused, .unavailable: false
        }
    }
}
