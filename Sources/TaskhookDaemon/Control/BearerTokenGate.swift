import TaskhookCore
import TaskhookHTTP

/// The admin listener's door: the control API, for requests that carry the bearer token.
final class BearerTokenGate: HTTPHandler {
    private let inner: HTTPHandler
    /// Replaced on reload when the token's secret changed (a rotated credential).
    private var token: [UInt8]

    init(_ inner: HTTPHandler, token: String) {
        self.inner = inner
        self.token = Array(token.utf8)
    }

    /// Requests from now on need `token`.
    func replaceToken(_ token: String) { self.token = Array(token.utf8) }

    func decide(_ head: RequestHead, connection: ConnectionInfo) -> HeadDecision {
        guard let header = head.fields["authorization"], header.lowercased().hasPrefix("bearer "),
            ConstantTime.equal(header.utf8.dropFirst(7), token)
        else {
            return .respond(
                .text(
                    .unauthorized, "the admin listener needs Authorization: Bearer <token>",
                    headers: HTTPFields([("WWW-Authenticate", "Bearer realm=\"taskhook\"")])))
        }
        return inner.decide(head, connection: connection)
    }

    func handle(_ request: Request, connection: ConnectionInfo, responder: any Responder) {
        inner.handle(request, connection: connection, responder: responder)
    }
}
