import TaskhookCore

/// A key, JWKS file or JSON pointer that cannot be used, found when a route is set up (never while a
/// callback is verified). The reason names what is wrong and never repeats a secret.
public struct ProviderConfigurationError: Error, Equatable, Sendable, CustomStringConvertible {
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}
