import Foundation
import TaskhookCore
import TaskhookHTTP
import TaskhookPosix
import TaskhookProviders

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The simulation's shell: the project's HTTP server on its own event loop (127.0.0.1 by default),
/// callbacks sent at their time, signed then by the profiles' signers (Freepik HMAC, fal Ed25519
/// with the JWKS served at `/.well-known/jwks.json`, Kling unsigned), through URLSession.
/// Every request and callback is written to `log` as one JSON object a line.
public final class SimulatorServer: HTTPHandler {
    let loop: EventLoop
    var simulation: ProviderSimulation
    let signingKeys: [String: SigningKey]
    let log: @Sendable (JSON) -> Void

    public init(
        loop: EventLoop, simulation: ProviderSimulation, signingKeys: [String: SigningKey],
        log: @escaping @Sendable (JSON) -> Void
    ) {
        self.loop = loop
        self.simulation = simulation
        self.signingKeys = signingKeys
        self.log = log
    }

    static func wallClock() -> Double { Date().timeIntervalSince1970 }

    public func decide(_ head: RequestHead, connection: ConnectionInfo) -> HeadDecision { .readBody }

    public func handle(_ request: Request, connection: ConnectionInfo, responder: any Responder) {
        if request.head.method == "GET", request.head.path == "/.well-known/jwks.json" {
            responder.respond(.json(.ok, jwks.bytes))
            return
        }
        var headers: [String: String] = [:]
        for field in request.head.fields { headers[field.name.lowercased()] = field.value }
        let now = Self.wallClock()
        let (answer, callbacks) = simulation.handle(
            SimulatorRequest(
                method: request.head.method, path: request.head.path, query: request.head.query, headers: headers,
                body: request.body),
            now: now)
        if let recorded = simulation.requests.last { log(["kind": "request", "request": recorded.json]) }
        // JSON unless the answer says otherwise (a video).
        var fields = HTTPFields(
            answer.headers.contains { $0.name == "Content-Type" } ? [] : [("Content-Type", "application/json")])
        for header in answer.headers { fields.append(name: header.name, value: header.value) }
        responder.respond(
            Response(status: HTTPStatus(answer.status, Self.reason(answer.status)), headers: fields, body: answer.body))
        for callback in callbacks {
            let delay = max(0, callback.due - now)
            loop.schedule(at: loop.now + .milliseconds(Int64(delay * 1000))) { [self] in send(callback) }
        }
    }

    /// The public halves of the fal keys, as fal serves its JWKS.
    var jwks: JSON {
        guard case .ed25519(let key) = signingKeys["fal"] else { return ["keys": []] }
        let x = Base64.encode(Array(key.publicKey.rawRepresentation), alphabet: .url)
        return ["keys": [["kty": "OKP", "crv": "Ed25519", "x": .string(x)]]]
    }

    func send(_ callback: ScheduledCallback) {
        guard let profile = ProviderProfiles.named(callback.provider)?.init(), let url = URL(string: callback.url)
        else {
            return
        }
        // A repeated callback is a retry of the same delivery: the same delivery id, as Standard Webhooks says.
        let deliveryID = "msg_sim_\(callback.taskID)_\(callback.status.rawValue)"
        let headers: [Delivery.Header]
        do {
            headers = try profile.sign(
                callback.body, taskID: callback.taskID, deliveryID: deliveryID, timestamp: Int64(Self.wallClock()),
                with: signingKeys[callback.provider] ?? .secret(""))
        } catch {
            log(["kind": "callback", "task": .string(callback.taskID), "error": .string(error.description)])
            return
        }
        var request = URLRequest(url: url, timeoutInterval: 10)
        request.httpMethod = "POST"
        request.httpBody = Data(callback.body)
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        for header in headers { request.setValue(header.value, forHTTPHeaderField: header.name) }
        let log = self.log
        let entry: [(key: String, value: JSON)] = [
            ("kind", "callback"), ("time", .number(String(Self.wallClock()))), ("task", .string(callback.taskID)),
            ("status", .string(callback.status.rawValue)),
        ]
        let sending = request
        Task { await CallbackDelivery.send(sending, entry: entry, log: log) }
    }

    static func reason(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 206: "Partial Content"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 416: "Range Not Satisfiable"
        case 422: "Unprocessable Entity"
        case 429: "Too Many Requests"
        default: "Internal Server Error"
        }
    }
}

/// How the simulator sends a callback.
enum CallbackDelivery {
    /// Sends one callback. As the providers do, a callback that got no answer, a 5xx, 408 or
    /// 429 is sent again after 1, 2 and 4 s (the same delivery id and signature): a daemon
    /// restarting, or a machine too busy to answer within the timeout, still gets it.
    static func send(
        _ request: URLRequest, entry: [(key: String, value: JSON)], log: @Sendable (JSON) -> Void
    ) async {
        var attempt = 1
        while true {
            var code = 0
            do {
                let (_, response) = try await URLSession.shared.data(for: request)
                code = (response as? HTTPURLResponse)?.statusCode ?? 0
                log(.object(entry + [("answer", .integer(code)), ("attempt", .integer(attempt))]))
            } catch {
                log(.object(entry + [("error", .string(error.localizedDescription)), ("attempt", .integer(attempt))]))
            }
            guard isRetried(code), attempt < callbackAttempts else { return }
            try? await Task.sleep(for: .seconds(1 << (attempt - 1)))
            attempt += 1
        }
    }

    static let callbackAttempts = 4

    /// Whether a callback answered `code` (0: no answer) is sent again.
    static func isRetried(_ code: Int) -> Bool { code == 0 || code == 408 || code == 429 || code >= 500 }
}
