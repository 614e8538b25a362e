import Logging
import TaskhookCore
import TaskhookHTTP
import TaskhookPosix
import TaskhookProviders

/// The public listener: `/healthz`, the webhook routes, and (for load tests) discard paths.
///
/// A callback goes: route lookup (404/405/415 from the head alone) → signature over the raw
/// body (401, not journaled) → normalization (unparsed is still journaled, 202, and read again
/// at every start and reload by `UnparsedRereader`) → journal →
/// answered 200 only once durable (503 if the journal cannot commit, so the provider retries).
final class PublicRoutes: HTTPHandler {
    private var routes: [String: WebhookRoute]
    private let discardPaths: Set<String>
    private let recorder: DeliveryRecorder?
    private let logger: Logger
    private let deliveryLog: DeliveryLog
    private let metrics: DaemonMetrics?
    /// Whose forwarding headers name the client in logs and the journal; swapped on reload.
    var trustedProxies: TrustedProxies
    /// Rejected callbacks are logged through it: anyone can send them, as fast as they like.
    private let warnings: WarningThrottle

    init(
        routes: [WebhookRoute], discardPaths: Set<String>, recorder: DeliveryRecorder?, metrics: DaemonMetrics? = nil,
        trustedProxies: TrustedProxies = .none, logger: Logger, warnings: WarningThrottle? = nil
    ) {
        self.trustedProxies = trustedProxies
        self.warnings = warnings ?? WarningThrottle(logger: logger)
        self.routes = Dictionary(uniqueKeysWithValues: routes.map { ($0.path, $0) })
        self.discardPaths = discardPaths
        self.recorder = recorder
        self.metrics = metrics
        self.logger = logger
        self.deliveryLog = DeliveryLog(logger: logger)
    }

    /// Swaps in newly built routes (reload).
    func replaceRoutes(_ routes: [WebhookRoute]) {
        self.routes = Dictionary(uniqueKeysWithValues: routes.map { ($0.path, $0) })
    }

    /// The route configured at `path` (a journaled callback's route), token or not.
    func route(configuredAt path: String) -> WebhookRoute? { routes[path] }

    /// The normalizer that reads a provider identity's status reads (and its callbacks): a
    /// route's that receives them, else the built-in profile of that name, for tasks only ever
    /// polled (seed 004's aggregator has no webhook, so a deployment using only it has no fal
    /// route); nil for a name neither knows (a `standard-webhooks` route's `name:` not configured).
    func normalizer(forProvider identity: String) -> (any PayloadNormalizer)? {
        routes.values.first { $0.provider == identity }?.normalizer
            ?? ProviderProfiles.named(identity).map { $0.init() }
    }

    /// The route for a request path: an exact match, or a token route's path plus its token.
    func route(for path: String) -> WebhookRoute? {
        if let route = routes[path], route.acceptsToken(nil) { return route }
        guard let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return nil }
        let token = path[path.index(after: slash)...]
        guard let route = routes[String(path[..<slash])], route.token != nil, route.acceptsToken(token) else {
            return nil
        }
        return route
    }

    func decide(_ head: RequestHead, connection: ConnectionInfo) -> HeadDecision {
        if head.path == "/healthz" {
            return ["GET", "HEAD"].contains(head.method) ? .readBody : .respond(Self.notAllowed(allow: "GET, HEAD"))
        }
        if discardPaths.contains(head.path) {
            return head.method == "POST" ? .readBody : .respond(Self.notAllowed(allow: "POST"))
        }
        guard let route = route(for: head.path) else {
            return .respond(.text(.notFound, "no route for \(head.path)"))
        }
        guard head.method == "POST" else { return .respond(Self.notAllowed(allow: "POST")) }
        if case .contentLength(let length) = head.framing, length > UInt64(route.bodyLimit) {
            return .respond(Self.tooLarge(route))
        }
        if let type = head.fields.first("content-type"), !MediaType.isJSON(type.valueBytes) {
            return .respond(.text(.unsupportedMediaType, "callbacks must be application/json, not \(type.value)"))
        }
        return .readBody
    }

    func handle(_ request: Request, connection: ConnectionInfo, responder: any Responder) {
        if request.head.path == "/healthz" {
            responder.respond(.text(.ok, "ok"))
            return
        }
        if discardPaths.contains(request.head.path) {
            responder.respond(Response(status: .ok))
            return
        }
        // The route was there when the head arrived; a reload may have removed it (or changed its
        // token) while the body was read. Nothing was stored, so the provider must retry.
        guard let route = route(for: request.head.path), let recorder else {
            responder.respond(
                .text(
                    .serviceUnavailable, "the route changed while the callback was read; retry",
                    headers: HTTPFields([("Retry-After", "5")])))
            return
        }
        // A chunked body is only known to be too large once read.
        guard request.body.count <= route.bodyLimit else {
            responder.respond(Self.tooLarge(route))
            return
        }
        let headers = route.keptHeaders(request.head.fields)
        let callback = Callback(
            headers: headers, body: request.body, receivedAt: FileSystem.wallClockMilliseconds() / 1000)
        let peer = trustedProxies.clientAddress(
            peer: connection.peer, peerText: connection.peerText, fields: request.head.fields)
        if let verifier = route.verifier, let failure = verifier.verify(callback) {
            warnings.warning(
                "callback rejected", key: "rejected \(route.path) \(failure.reason)",
                metadata: [
                    "route": "\(route.path)", "provider": "\(route.provider)", "reason": "\(failure)",
                    "peer": "\(peer)",
                ])
            metrics?.delivery(provider: route.provider, outcome: "rejected")
            responder.respond(.text(.unauthorized, failure.reason))
            return
        }
        let events: [TaskEvent]
        let note: String?
        switch route.normalizer.normalize(callback) {
        case .events(let e, let n):
            events = e
            note = n
        case .unparsed(let reason):
            events = []
            note = reason
        }
        let delivery = Delivery(
            route: route.path, provider: route.provider, remoteAddress: peer, deliveryID: route.deliveryID(callback),
            headers: headers, body: request.body, events: events, note: note)
        recorder.record(delivery) { [logger, deliveryLog, metrics] outcome in
            switch outcome {
            case .recorded(let sequence):
                metrics?.delivery(provider: route.provider, outcome: events.isEmpty ? "unparsed" : "recorded")
                for event in events {
                    deliveryLog.recorded(
                        event, sequence: sequence, provider: route.provider, route: route.path, peer: peer)
                }
                responder.respond(
                    .json(events.isEmpty ? .accepted : .ok, Self.recordedBody(sequence: sequence, events: events)))
            case .duplicate:
                metrics?.delivery(provider: route.provider, outcome: "duplicate")
                responder.respond(.json(.ok, Self.duplicateBody))
            case .failed(let error):
                metrics?.delivery(provider: route.provider, outcome: "failed")
                logger.error(
                    "journal append failed; answering 503", metadata: ["route": "\(route.path)", "reason": "\(error)"])
                responder.respond(
                    .text(
                        .serviceUnavailable, "the callback could not be stored; retry later",
                        headers: HTTPFields([("Retry-After", "5")])))
            }
        }
    }

    /// `{"recorded":true,"sequence":N,"unparsed":false,"tasks":["id",…]}`, written directly as
    /// bytes: this answers every callback, and a `JSON` tree (or a String) for it cost more than
    /// the rest of the answer.
    static func recordedBody(sequence: UInt64, events: [TaskEvent]) -> [UInt8] {
        var body: [UInt8] = []
        body.reserveCapacity(80 + events.reduce(0) { $0 + $1.taskID.utf8.count + 3 })
        body += #"{"recorded":true,"sequence":"#.utf8
        body += String(sequence).utf8
        body += (events.isEmpty ? #","unparsed":true,"tasks":["# : #","unparsed":false,"tasks":["#).utf8
        for (index, event) in events.enumerated() {
            if index > 0 { body.append(UInt8(ascii: ",")) }
            JSON.appendQuoted(event.taskID, to: &body)
        }
        body += "]}".utf8
        return body
    }

    static let duplicateBody = (["recorded": true, "duplicate": true] as JSON).bytes

    static func tooLarge(_ route: WebhookRoute) -> Response {
        .text(.contentTooLarge, "the body exceeds this route's max-body of \(route.bodyLimit) bytes")
    }

    static func notAllowed(allow: String) -> Response {
        .text(.methodNotAllowed, "method not allowed; use \(allow)", headers: HTTPFields([("Allow", allow)]))
    }
}
