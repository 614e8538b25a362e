import Foundation
import TaskhookClient
import TaskhookCore
import TaskhookProviders
import TestSupport
import Testing

/// The reconciler's reads against `taskhook simulate`: real HTTP, the simulator's clock.
@Suite struct TaskPollTests {
    let credentials = ProviderCredentials.apiKey("simulator")

    func create(_ endpoint: SeedEndpoint, _ parameters: JSON_, on simulator: SimulatorProcess) async throws
        -> SubmittedTask
    {
        let request = try endpoint.createRequest(
            parameters: parameters.json, callbackURL: nil, baseURL: simulator.baseURL, credentials: credentials, now: 0)
        let answer = try await ProviderExchange.send(request, timeout: 5)
        return try endpoint.readCreateAnswer(
            status: answer.status, body: Array(answer.body), baseURL: simulator.baseURL)
    }

    @Test func theAggregatorsRunningTaskIsReadThroughItsHostAsRunning() async throws {
        let simulator = try SimulatorProcess(arguments: ["--never-finish"])
        defer { simulator.stop() }
        let endpoint = SeedEndpoint.aggregatorKlingV25TurboPro
        let task = try await create(endpoint, .falInput, on: simulator)
        #expect(task.statusURL.hasPrefix(simulator.baseURL))
        let reading = await TaskPoll.read(endpoint, task, credentials: credentials, timeout: 5)
        #expect(reading == .running("IN_QUEUE") || reading == .running("IN_PROGRESS"), "\(reading)")
    }

    @Test func theAggregatorsFinishedTaskIsReadThroughItsResultAsAnObservation() async throws {
        let simulator = try SimulatorProcess(arguments: ["--start-after", "0", "--finish-after", "0"])
        defer { simulator.stop() }
        let endpoint = SeedEndpoint.aggregatorKlingV25TurboPro
        let task = try await create(endpoint, .falInput, on: simulator)
        let done = await TaskPoll.read(endpoint, task, credentials: credentials, timeout: 5)
        guard case .observed(let body) = done else {
            Issue.record("\(done)")
            return
        }
        let text = String(decoding: body, as: UTF8.self)
        #expect(text.contains(#""status":"OK""#))
        #expect(text.contains(simulator.baseURL + "/videos/\(task.taskID).mp4"))
    }

    @Test func aBusyProviderIsATransientFailureCarryingItsRetryAfter() async throws {
        let simulator = try SimulatorProcess(arguments: ["--busy", "100", "--retry-after", "7"])
        defer { simulator.stop() }
        let task = SubmittedTask(taskID: "x", statusURL: simulator.baseURL + "/v1/ai/image-to-video/kling-v2/x")
        let reading = await TaskPoll.read(.freepikKlingV2, task, credentials: credentials, timeout: 5)
        #expect(reading == .failed(.unavailable(status: 429, retryAfter: 7)))
        #expect(reading.scheduleOutcome == .failed(retryAfter: 7))
    }

    @Test func aProviderThatDoesNotAnswerInTimeIsUnreachable() async throws {
        // A listening socket nobody accepts on: the request times out.
        let listener = try SimulatorProcess(arguments: [])
        listener.process.signal(SIGSTOP)
        defer {
            listener.process.signal(SIGCONT)
            listener.stop()
        }
        let task = SubmittedTask(taskID: "x", statusURL: listener.baseURL + "/v1/ai/image-to-video/kling-v2/x")
        let reading = await TaskPoll.read(.freepikKlingV2, task, credentials: credentials, timeout: 0.5)
        // The deadline's own words: libcurl's idle timeout would have said "timed out" after 60 s.
        guard case .failed(.unreachable(let why)) = reading, why.contains("no answer within 0.5 s") else {
            Issue.record("\(reading)")
            return
        }
    }
}

/// Parameters the seeds accept.
enum JSON_ {
    case falInput
    var json: TaskhookCore.JSON { ["prompt": "cars", "image_url": "https://example.com/c.jpg"] }
}
