import Logging
import TaskhookHTTP

/// The public listener's routes. Webhook routes join these with the providers.
final class PublicRoutes: HTTPHandler {
    private let discardPaths: Set<String>

    init(discardPaths: Set<String>) {
        self.discardPaths = discardPaths
    }

    func decide(_ head: RequestHead, connection: ConnectionInfo) -> HeadDecision {
        if head.path == "/healthz" {
            return ["GET", "HEAD"].contains(head.method) ? .readBody : .respond(Self.notAllowed(allow: "GET, HEAD"))
        }
        if discardPaths.contains(head.path) {
            return head.method == "POST" ? .readBody : .respond(Self.notAllowed(allow: "POST"))
        }
        return .respond(.text(.notFound, "no route for \(head.path)"))
    }

    func handle(_ request: Request, connection: ConnectionInfo, responder: Responder) {
        if request.head.path == "/healthz" {
            responder.respond(.text(.ok, "ok"))
        } else {
            responder.respond(Response(status: .ok))
        }
    }

    static func notAllowed(allow: String) -> Response {
        .text(.methodNotAllowed, "method not allowed; use \(allow)", headers: HTTPFields([("Allow", allow)]))
    }
}
