import TaskhookCore
import TaskhookHTTP
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

    /// The request headers the journal keeps for this route, in order: the ones the verifier
    /// sees too, so a journaled callback can be verified again exactly as it was. In one loop
    /// here, where the profile is at hand, rather than a call (and a copy of the profile) per
    /// field.
    func keptHeaders(_ fields: HTTPFields) -> [Delivery.Header] {
        var headers: [Delivery.Header] = []
        headers.reserveCapacity(fields.count)
        for field in fields {
            let name = field.name
            if profile.keepsHeader(name) { headers.append(Delivery.Header(name: name, value: field.value)) }
        }
        return headers
    }

    /// Whether `segment` is this route's token, compared in constant time.
    func acceptsToken(_ segment: Substring?) -> Bool {
        guard let token else { return segment == nil }
        guard let segment else { return false }
        return ConstantTime.equal(segment.utf8, token)
    }
}
