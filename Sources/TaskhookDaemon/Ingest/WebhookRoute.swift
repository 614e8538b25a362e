import TaskhookCore
import TaskhookProviders

/// A configured route made ready: its secrets read, its verifier and normalizer built.
struct WebhookRoute {
    let configuration: RouteConfiguration
    /// The secret path segment, when the route has one (served at `path/<token>`).
    let token: [UInt8]?
    /// nil only for a route configured with `allow-unsigned: true` and no other check.
    let verifier: SignatureVerifier?
    let normalizer: PayloadNormalizer
    let deliveryID: @Sendable (Callback) -> String?

    var path: String { configuration.path }
    var provider: String { configuration.name }

    /// Whether `segment` is this route's token, compared in constant time.
    func acceptsToken(_ segment: Substring?) -> Bool {
        guard let token else { return segment == nil }
        guard let segment else { return false }
        return ConstantTime.equal(segment.utf8, token)
    }
}
