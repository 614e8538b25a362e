import TaskhookCore

/// A callback as a provider sent it: the headers (names lower-cased), the raw body bytes, and
/// the time it arrived. Verifiers and normalizers are pure functions of this value.
public struct Callback: Sendable {
    public var headers: [Delivery.Header]
    public var body: [UInt8]
    /// Unix time in seconds when it arrived (injectable, for tests and official vectors).
    public var receivedAt: Int64

    public init(headers: [Delivery.Header], body: [UInt8], receivedAt: Int64) {
        self.headers = headers
        self.body = body
        self.receivedAt = receivedAt
    }

    /// The first value of a header; `name` must be lower-case.
    public func header(_ name: String) -> String? {
        headers.first { $0.name == name }?.value
    }
}

/// Why a callback is not accepted as authentic: a sentence an operator can act on, such as
/// "webhook-timestamp is 412 s old; tolerance is 300 s". Answered 401, logged, never journaled.
public struct VerificationFailure: Error, Equatable, Sendable, CustomStringConvertible {
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}

/// What an authentic body says.
public enum Normalized: Sendable, Equatable {
    /// Task events, with an optional remark (e.g. fal's `payload_error`).
    case events([TaskEvent], note: String?)
    /// Authentic but not understood: journaled as `unparsed` and answered 202.
    case unparsed(reason: String)
}

/// Checks a callback's signature (and timestamp window) over its raw bytes.
public protocol SignatureVerifier: Sendable {
    /// nil when authentic.
    func verify(_ callback: Callback) -> VerificationFailure?
}

/// Turns an authentic body into task events.
public protocol PayloadNormalizer: Sendable {
    func normalize(_ callback: Callback) -> Normalized
}
