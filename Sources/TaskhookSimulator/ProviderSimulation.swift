import TaskhookCore
import TaskhookProviders

/// The seed endpoints' APIs as a pure state machine: requests and the time in, answers and the
/// callbacks to send out. Tasks move created → in progress → completed (or failed) on a clock; every
/// status GET answers where the task is at that moment, so polling sees what callbacks would say.
public struct ProviderSimulation: Sendable {
    public var knobs: SimulationKnobs
    /// The API keys it accepts; Kling's pair as `kling-access-key` / `kling-secret-key`.
    public var keys: [String: String]
    /// The simulator's own base URL, for the fal queue URLs it hands out.
    public var baseURL: String
    public private(set) var requests: [RecordedRequest] = []
    var tasks: [String: SimulatedTask] = [:]
    var answered = 0
    var nextNumber = 1

    struct SimulatedTask: Sendable {
        var endpoint: SeedEndpoint
        var createdAt: Double
    }

    public init(knobs: SimulationKnobs, keys: [String: String], baseURL: String) {
        self.knobs = knobs
        self.keys = keys
        self.baseURL = baseURL
    }

    /// The answer to `request` at `now`, and the callbacks its task will send.
    public mutating func handle(_ request: SimulatorRequest, now: Double) -> (SimulatorAnswer, [ScheduledCallback]) {
        let (answer, callbacks) = route(request, now: now)
        requests.append(RecordedRequest(time: now, method: request.method, path: request.path, status: answer.status))
        return (answer, callbacks)
    }

    mutating func route(_ request: SimulatorRequest, now: Double) -> (SimulatorAnswer, [ScheduledCallback]) {
        // Result videos come from the CDN's host in reality: no API key, and no busy answers.
        if request.method == "GET", let taskID = SimulatedVideo.taskID(path: request.path) {
            guard let task = tasks[taskID], status(of: task, at: now) == .completed else {
                return (.message(404, "no video for \(taskID)"), [])
            }
            return (
                SimulatedVideo.answer(request, bytes: SimulatedVideo.bytes(taskID: taskID, count: knobs.videoBytes)), []
            )
        }
        // Busy and failing answers come first, before authentication, as a front proxy would give them.
        let exposed = !knobs.faultsOnReadsOnly || request.method == "GET"
        if exposed { answered += 1 }
        if exposed, answered <= knobs.busyAnswers {
            let answer = SimulatorAnswer.json(
                429, ["message": "Too Many Requests"],
                headers: [Delivery.Header(name: "Retry-After", value: String(knobs.retryAfter))])
            return (answer, [])
        }
        if exposed, answered <= knobs.busyAnswers + knobs.errorAnswers {
            return (.message(500, "Internal Server Error"), [])
        }
        if request.method == "POST", let endpoint = createEndpoint(request) {
            guard authorized(request, endpoint: endpoint, now: now) else {
                return (.message(401, "Invalid API key"), [])
            }
            return create(endpoint, request, now: now)
        }
        guard request.method == "GET" else { return (.message(405, "Method Not Allowed"), []) }
        guard let (taskID, isResult) = readTarget(request.path), let task = tasks[taskID] else {
            return (.message(404, "Not found: \(request.path)"), [])
        }
        guard authorized(request, endpoint: task.endpoint, now: now) else {
            return (.message(401, "Invalid API key"), [])
        }
        return (read(taskID, task, isResult: isResult, now: now), [])
    }

    /// Which endpoint a POST creates on; fal's queue and the aggregator share a path and differ in
    /// their authorization scheme.
    func createEndpoint(_ request: SimulatorRequest) -> SeedEndpoint? {
        let candidates = SeedEndpoint.allCases.filter { $0.createPath == request.path }
        if candidates.count > 1 {
            let scheme = request.headers["authorization"]?.split(separator: " ").first
            return scheme == "Key" ? .falKlingV25TurboPro : .aggregatorKlingV25TurboPro
        }
        return candidates.first
    }

    func authorized(_ request: SimulatorRequest, endpoint: SeedEndpoint, now: Double) -> Bool {
        let authorization = request.headers["authorization"] ?? ""
        switch endpoint.credential {
        case .freepikAPIKey:
            return keys["freepik-api-key"].map { request.headers["x-freepik-api-key"] == $0 } ?? false
        case .falKey: return keys["fal-key"].map { authorization == "Key \($0)" } ?? false
        case .bearerToken: return keys["aggregator-api-key"].map { authorization == "Bearer \($0)" } ?? false
        case .klingAccessKeyPair:
            guard let access = keys["kling-access-key"], let secret = keys["kling-secret-key"],
                authorization.hasPrefix("Bearer ")
            else { return false }
            return KlingToken.isValid(
                String(authorization.dropFirst(7)), accessKey: access, secretKey: secret, now: Int64(now))
        }
    }
}
