import TaskhookCore
import TaskhookProviders
import Testing

@testable import TaskhookSimulator

@Suite struct ProviderSimulationTests {
    static let keys = [
        "freepik-api-key": "fp", "fal-key": "fk", "aggregator-api-key": "ag", "kling-access-key": "AK",
        "kling-secret-key": "SK",
    ]
    let start = 1_700_000_000.0
    let base = "http://127.0.0.1:7000"

    func simulation(_ change: (inout SimulationKnobs) -> Void = { _ in }) -> ProviderSimulation {
        var knobs = SimulationKnobs()
        change(&knobs)
        return ProviderSimulation(knobs: knobs, keys: Self.keys, baseURL: base)
    }

    static func credentials(_ endpoint: SeedEndpoint) -> ProviderCredentials {
        switch endpoint.credential {
        case .freepikAPIKey: .apiKey("fp")
        case .falKey: .apiKey("fk")
        case .bearerToken: .apiKey("ag")
        case .klingAccessKeyPair: .accessKeyPair(accessKey: "AK", secretKey: "SK")
        }
    }

    static func parameters(_ endpoint: SeedEndpoint) -> JSON { endpoint.exampleParameters }

    /// Sends `request` (built by the real client code) to the simulation, as the shell would.
    func send(_ request: OutboundRequest, to simulation: inout ProviderSimulation, at now: Double)
        -> (SimulatorAnswer, [ScheduledCallback])
    {
        let target = String(request.url.dropFirst(base.count))
        let parts = target.split(separator: "?", maxSplits: 1)
        var headers: [String: String] = [:]
        for header in request.headers { headers[header.name.lowercased()] = header.value }
        return simulation.handle(
            SimulatorRequest(
                method: request.method, path: String(parts[0]), query: parts.count > 1 ? String(parts[1]) : nil,
                headers: headers, body: request.body ?? []),
            now: now)
    }

    func submit(_ endpoint: SeedEndpoint, _ simulation: inout ProviderSimulation) throws -> (
        SubmittedTask, [ScheduledCallback]
    ) {
        let request = try endpoint.createRequest(
            parameters: Self.parameters(endpoint), callbackURL: "http://127.0.0.1:9/hooks/x?t=1", baseURL: base,
            credentials: Self.credentials(endpoint), now: Int64(start))
        let (answer, callbacks) = send(request, to: &simulation, at: start)
        #expect(answer.status == 200, "\(String(decoding: answer.body, as: UTF8.self))")
        // The aggregator answers with fal's queue host, which the client moves onto the simulator.
        return (try endpoint.readCreateAnswer(status: answer.status, body: answer.body, baseURL: base), callbacks)
    }

    /// Polls `task` at `now` through the client's own reading, following fal's result URL.
    func poll(_ endpoint: SeedEndpoint, _ task: SubmittedTask, _ simulation: inout ProviderSimulation, at now: Double)
        throws -> PollOutcome
    {
        let credentials = Self.credentials(endpoint)
        let request = try endpoint.readRequest(task.statusURL, credentials: credentials, now: Int64(now))
        let (answer, _) = send(request, to: &simulation, at: now)
        let outcome = try endpoint.readStatusAnswer(status: answer.status, body: answer.body, task: task)
        guard case .fetchResult(let url) = outcome else { return outcome }
        let (result, _) = send(
            try endpoint.readRequest(url, credentials: credentials, now: Int64(now)), to: &simulation, at: now)
        return try endpoint.readResultAnswer(status: result.status, body: result.body, task: task)
    }

    func normalized(_ endpoint: SeedEndpoint, _ body: [UInt8]) -> Normalized? {
        ProviderProfiles.named(endpoint.provider)?.init().normalize(
            Callback(headers: [], body: body, receivedAt: 0))
    }

    @Test(arguments: SeedEndpoint.allCases)
    func everyEndpointIsCreatedAndPolledToCompletionThroughTheClientsOwnCalls(_ endpoint: SeedEndpoint) throws {
        var simulation = simulation()
        let (task, _) = try submit(endpoint, &simulation)
        let early = try poll(endpoint, task, &simulation, at: start + 0.01)
        if case .observation(let body) = early {
            guard case .events(let events, _) = normalized(endpoint, body) else {
                Issue.record("unreadable")
                return
            }
            #expect(events.map(\.status) == [.created])
        } else {
            #expect(early == .pending("IN_QUEUE"))
        }
        let done = try poll(endpoint, task, &simulation, at: start + 1)
        guard case .observation(let body) = done, case .events(let events, _) = normalized(endpoint, body) else {
            Issue.record("\(done)")
            return
        }
        #expect(events.map(\.status) == [.completed])
        #expect(events.first?.taskID == task.taskID)
        #expect(events.first?.results.first == simulation.resultURL(task.taskID))
        #expect(simulation.resultURL(task.taskID) == base + "/videos/\(task.taskID).mp4")
    }

    @Test(arguments: SeedEndpoint.allCases)
    func callbacksGoToTheGivenURLInTheProvidersShapeExceptForTheAggregator(_ endpoint: SeedEndpoint) throws {
        var simulation = simulation()
        let (task, callbacks) = try submit(endpoint, &simulation)
        switch endpoint.provider {
        case _ where endpoint == .aggregatorKlingV25TurboPro: #expect(callbacks.isEmpty)
        case "fal": #expect(callbacks.map(\.status) == [.completed])
        default: #expect(callbacks.map(\.status) == [.inProgress, .completed])
        }
        for callback in callbacks {
            #expect(callback.url == "http://127.0.0.1:9/hooks/x?t=1")
            guard case .events(let events, _) = normalized(endpoint, callback.body) else {
                Issue.record("unreadable callback")
                continue
            }
            #expect(events.map(\.taskID) == [task.taskID])
            #expect(events.map(\.status) == [callback.status])
        }
    }

    @Test func theKnobsDropDuplicateReorderDelayAndFailCallbacks() throws {
        var dropped = simulation { $0.dropCallbacks = true }
        #expect(try submit(.freepikKlingV2, &dropped).1.isEmpty)
        var doubled = simulation { $0.duplicateCallbacks = true }
        #expect(
            try submit(.freepikKlingV2, &doubled).1.map(\.status) == [.inProgress, .inProgress, .completed, .completed])
        var reordered = simulation {
            $0.reorderCallbacks = true
            $0.callbackDelay = 2
        }
        let callbacks = try submit(.klingImageToVideo, &reordered).1
        #expect(callbacks.map(\.status) == [.completed, .inProgress])
        #expect(callbacks.map(\.due) == [start + 0.1 + 2, start + 0.5 + 2])
        var failing = simulation { $0.failTasks = true }
        let (task, failed) = try submit(.falKlingV25TurboPro, &failing)
        #expect(failed.map(\.status) == [.failed])
        guard case .observation(let body) = try poll(.falKlingV25TurboPro, task, &failing, at: start + 1),
            case .events(let events, _) = normalized(.falKlingV25TurboPro, body)
        else { return }
        #expect(events.map(\.status) == [.failed])
    }

    @Test func aTaskThatNeverFinishesSendsOnlyItsProgressAndPollsAsRunning() throws {
        var simulation = simulation { $0.neverFinish = true }
        let (task, callbacks) = try submit(.freepikKlingV25Pro, &simulation)
        #expect(callbacks.map(\.status) == [.inProgress])
        guard case .observation(let body) = try poll(.freepikKlingV25Pro, task, &simulation, at: start + 3600),
            case .events(let events, _) = normalized(.freepikKlingV25Pro, body)
        else { return }
        #expect(events.map(\.status) == [.inProgress])
    }

    @Test func busyThenFailingAnswersComeFirstAndAreRecordedWithTheirTimes() throws {
        var simulation = simulation {
            $0.busyAnswers = 2
            $0.retryAfter = 3
            $0.errorAnswers = 1
        }
        let request = try SeedEndpoint.freepikKlingV2.createRequest(
            parameters: Self.parameters(.freepikKlingV2), callbackURL: nil, baseURL: base, credentials: .apiKey("fp"),
            now: 0)
        var statuses: [Int] = []
        for step in 0..<4 {
            let (answer, _) = send(request, to: &simulation, at: start + Double(step))
            statuses.append(answer.status)
            if answer.status == 429 { #expect(answer.headers == [Delivery.Header(name: "Retry-After", value: "3")]) }
        }
        #expect(statuses == [429, 429, 500, 200])
        #expect(simulation.requests.map(\.time) == [start, start + 1, start + 2, start + 3])
        #expect(simulation.requests.map(\.status) == statuses)
    }

    @Test func faultsOnReadsOnlyLetCreatesThroughAndGoToTheStatusReads() throws {
        var simulation = simulation {
            $0.busyAnswers = 1
            $0.errorAnswers = 1
            $0.faultsOnReadsOnly = true
        }
        let (task, _) = try submit(.freepikKlingV2, &simulation)
        let read = try SeedEndpoint.freepikKlingV2.readRequest(task.statusURL, credentials: .apiKey("fp"), now: 0)
        let statuses = (1...3).map { send(read, to: &simulation, at: start + Double($0)).0.status }
        #expect(statuses == [429, 500, 200])
        #expect(simulation.requests.map(\.method) == ["POST", "GET", "GET", "GET"])
    }

    @Test func wrongKeysAndThePostPathsOfSharedGetPathsAreRefused() throws {
        var simulation = simulation()
        let (task, _) = try submit(.freepikKlingElementsPro, &simulation)
        let wrongKey = try SeedEndpoint.freepikKlingElementsPro.readRequest(
            task.statusURL, credentials: .apiKey("nope"), now: 0)
        #expect(send(wrongKey, to: &simulation, at: start).0.status == 401)
        let postPath = try SeedEndpoint.freepikKlingElementsPro.readRequest(
            base + "/v1/ai/image-to-video/kling-elements-pro/" + task.taskID, credentials: .apiKey("fp"), now: 0)
        #expect(send(postPath, to: &simulation, at: start).0.status == 404)
        var kling = self.simulation()
        let (klingTask, _) = try submit(.klingImageToVideo, &kling)
        let badJWT = try SeedEndpoint.klingImageToVideo.readRequest(
            klingTask.statusURL, credentials: .accessKeyPair(accessKey: "AK", secretKey: "wrong"), now: Int64(start))
        #expect(send(badJWT, to: &kling, at: start).0.status == 401)
    }
}
