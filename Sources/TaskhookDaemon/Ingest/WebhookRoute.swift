import TaskhookCore
import TaskhookProviders

/// A configured route made ready: its secrets read, its verifier built, its profile at hand for
/// normalizing, delivery ids and the headers a record keeps.
///
/// A class although it never changes: a callback passes its route around (looked up, kept by
/// the answer's closure), and copying a struct of a configuration and three existentials
/// retained and released each of their fields every time.
final class WebhookRoute {
    let configuration: RouteConfiguration
    /// The secret path segment, when the route has one (served at `path/<token>`).
    let token: [UInt8]?
    /// nil only for a route configured with `allow-unsigned: true` and no other check.
    let verifier: (any SignatureVerifier)?
    let normalizer: any PayloadNormalizer
    private let profile: any ProviderProfile

    init(configuration: RouteConfiguration, token: [UInt8]?, verifier: (any SignatureVerifier)?) {
        self.configuration = configuration
        self.token = token
        self.verifier = verifier
        normalizer = configuration.profile
        profile = configuration.profile
    }

    var path: String { configuration.path }
    var provider: String { configuration.name }
    /// The largest body the route takes.
    var bodyLimit: Int { configuration.bodyLimit }

    /// The provider's id for this delivery (the dedupe key), if it sends one.
    func deliveryID(_ callback: Callback) -> String? { profile.deliveryID(of: callback) }

    /// Whether the journal keeps this request header (lower-case name) for this route.
    func keepsHeader(_ name: String) -> Bool { profile.keepsHeader(name) }

    /// Whether `segment` is this route's token, compared in constant time.
    func acceptsToken(_ segment: Substring?) -> Bool {
        guard let token else { return segment == nil }
        guard let segment else { return false }
        return ConstantTime.equal(segment.utf8, token)
    }
}
