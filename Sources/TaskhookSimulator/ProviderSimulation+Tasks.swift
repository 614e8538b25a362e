import TaskhookCore
import TaskhookProviders

extension ProviderSimulation {
    static let queuePrefix = "/fal-ai/kling-video/requests/"

    /// Where a task is at `now`.
    func status(of task: SimulatedTask, at now: Double) -> TaskStatus {
        let age = now - task.createdAt
        if age >= knobs.finishAfter && !knobs.neverFinish { return knobs.failTasks ? .failed : .completed }
        return age >= knobs.startAfter ? .inProgress : .created
    }

    /// Where the task's video is served: the simulator itself (`SimulatedVideo`), once it has completed.
    func resultURL(_ taskID: String) -> String { baseURL + SimulatedVideo.pathPrefix + taskID + SimulatedVideo.suffix }

    mutating func create(_ endpoint: SeedEndpoint, _ request: SimulatorRequest, now: Double)
        -> (SimulatorAnswer, [ScheduledCallback])
    {
        guard let parameters = try? JSON.parse(request.body) else { return (.message(400, "body is not JSON"), []) }
        var callbackURL: String? = nil
        switch endpoint.callbackParameter {
        case .bodyField(let name): callbackURL = parameters[name]?.string
        case .queryParameter(let name): callbackURL = Self.queryValue(name, in: request.query)
        case .none: break
        }
        // The simulator refuses what the real API refuses, so a request taskhook let through that a
        // provider would not shows up here too.
        let refusals = endpoint.schema.validate(parameters)
        if !refusals.isEmpty {
            let invalid = refusals.map { JSON.object([("name", .string($0.field)), ("reason", .string($0.rule))]) }
            return (
                .json(400, ["message": "Your request parameters didn't validate.", "invalid_params": .array(invalid)]),
                []
            )
        }
        let number = nextNumber
        nextNumber += 1
        let taskID: String
        let answer: JSON
        switch endpoint.provider {
        case "freepik":
            let digits = String(number)
            taskID = "00000000-0000-4000-8000-" + String(repeating: "0", count: max(0, 12 - digits.count)) + digits
            answer = ["data": ["task_id": .string(taskID), "status": "CREATED"]]
        case "kling":
            taskID = "sim-kling-\(number)"
            answer = [
                "code": 0, "message": "SUCCEED", "request_id": .string("req-\(number)"),
                "data": ["task_id": .string(taskID), "task_status": "submitted"],
            ]
        default:
            taskID = "sim-fal-\(number)"
            // The aggregator hands out fal's own queue URLs (its users rewrite the host), fal its own.
            let host = endpoint == .aggregatorKlingV25TurboPro ? "https://queue.fal.run" : baseURL
            let requestURL = host + Self.queuePrefix + taskID
            answer = [
                "status": "IN_QUEUE", "request_id": .string(taskID), "response_url": .string(requestURL),
                "status_url": .string(requestURL + "/status"), "cancel_url": .string(requestURL + "/cancel"),
                "logs": .null, "metrics": [:], "queue_position": 0,
            ]
        }
        let task = SimulatedTask(endpoint: endpoint, createdAt: now)
        tasks[taskID] = task
        let callbacks = callbackURL.map { plannedCallbacks(taskID, task, to: $0) } ?? []
        return (.json(200, answer), callbacks)
    }

    /// The callbacks a task sends over its life, as the knobs bend them.
    func plannedCallbacks(_ taskID: String, _ task: SimulatedTask, to url: String) -> [ScheduledCallback] {
        guard !knobs.dropCallbacks else { return [] }
        let terminal: TaskStatus = knobs.failTasks ? .failed : .completed
        var steps: [(Double, TaskStatus)] = []
        // fal sends one callback, when the request is done; Freepik and Kling one per status change.
        if task.endpoint.provider != "fal" { steps.append((knobs.startAfter, .inProgress)) }
        if !knobs.neverFinish { steps.append((knobs.finishAfter, terminal)) }
        if knobs.reorderCallbacks, steps.count == 2 {
            steps = [(steps[0].0, steps[1].1), (steps[1].0, steps[0].1)]
        }
        var callbacks: [ScheduledCallback] = []
        for (offset, status) in steps {
            guard let body = callbackBody(taskID, provider: task.endpoint.provider, status: status) else { continue }
            let callback = ScheduledCallback(
                due: task.createdAt + offset + knobs.callbackDelay, url: url, provider: task.endpoint.provider,
                taskID: taskID, status: status, body: body)
            callbacks.append(callback)
            if knobs.duplicateCallbacks { callbacks.append(callback) }
        }
        return callbacks
    }

    func callbackBody(_ taskID: String, provider: String, status: TaskStatus) -> [UInt8]? {
        guard let profile = ProviderProfiles.named(provider)?.init() else { return nil }
        return try? profile.testBody(taskID: taskID, status: status, resultURL: resultURL(taskID))
    }

    /// The task id a GET reads, and whether it reads fal's result rather than its status.
    func readTarget(_ path: String) -> (String, Bool)? {
        if path.hasPrefix(Self.queuePrefix) {
            let rest = path.dropFirst(Self.queuePrefix.count)
            if rest.hasSuffix("/status") { return (String(rest.dropLast("/status".count)), false) }
            return rest.contains("/") ? nil : (String(rest), true)
        }
        // Only the documented GET path of each model: a client polling the POST path of
        // elements-pro or v2-1-std gets 404, as from Freepik.
        for endpoint in SeedEndpoint.allCases {
            guard let prefix = endpoint.statusPath(taskID: ""), path.hasPrefix(prefix) else { continue }
            let taskID = String(path.dropFirst(prefix.count))
            if !taskID.isEmpty, !taskID.contains("/"), tasks[taskID]?.endpoint == endpoint { return (taskID, false) }
        }
        return nil
    }

    func read(_ taskID: String, _ task: SimulatedTask, isResult: Bool, now: Double) -> SimulatorAnswer {
        let status = status(of: task, at: now)
        switch task.endpoint.provider {
        case "fal":
            if isResult {
                switch status {
                case .completed:
                    return .json(200, ["video": ["url": .string(resultURL(taskID)), "content_type": "video/mp4"]])
                case .failed:
                    return .json(422, ["detail": [["loc": ["body", "image_url"], "msg": "the simulated failure"]]])
                default: return .json(400, ["detail": "Request is still in progress"])
                }
            }
            let word = status.isTerminal ? "COMPLETED" : (status == .created ? "IN_QUEUE" : "IN_PROGRESS")
            return .json(200, ["status": .string(word), "request_id": .string(taskID)])
        default:
            guard let body = callbackBody(taskID, provider: task.endpoint.provider, status: status),
                let object = try? JSON.parse(body)
            else { return .message(500, "no body for \(status.rawValue)") }
            if task.endpoint.provider == "kling" {
                return .json(200, ["code": 0, "message": "SUCCEED", "request_id": "poll", "data": object])
            }
            return .json(200, ["data": object])
        }
    }

    static func queryValue(_ name: String, in query: String?) -> String? {
        for pair in (query ?? "").split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, parts[0] == name else { continue }
            return percentDecoded(parts[1])
        }
        return nil
    }

    static func percentDecoded(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        var index = text.utf8.startIndex
        let utf8 = text.utf8
        while index != utf8.endIndex {
            let byte = utf8[index]
            if byte == UInt8(ascii: "%") {
                let high = utf8.index(after: index)
                guard high != utf8.endIndex, utf8.index(after: high) != utf8.endIndex,
                    let value = UInt8(
                        String(decoding: [utf8[high], utf8[utf8.index(after: high)]], as: UTF8.self), radix: 16)
                else { return nil }
                bytes.append(value)
                index = utf8.index(high, offsetBy: 2)
            } else {
                bytes.append(byte == UInt8(ascii: "+") ? UInt8(ascii: " ") : byte)
                index = utf8.index(after: index)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
