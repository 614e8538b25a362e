import TaskhookCore
import TaskhookProviders
import Testing

@testable import TaskhookSimulator

@Suite struct SimulatedVideoTests {
    let start = 1_700_000_000.0

    func video(_ simulation: inout ProviderSimulation, _ taskID: String, at now: Double, range: String? = nil)
        -> SimulatorAnswer
    {
        simulation.handle(
            SimulatorRequest(
                method: "GET", path: "/videos/\(taskID).mp4", headers: range.map { ["range": $0] } ?? [:]),
            now: now
        ).0
    }

    @Test func aCompletedTasksVideoIsServedWholeOrFromARange() throws {
        var knobs = SimulationKnobs()
        knobs.videoBytes = 1000
        knobs.busyAnswers = 5  // the CDN is not the API: no busy answers for it
        var simulation = ProviderSimulation(
            knobs: knobs, keys: ["freepik-api-key": "fp"], baseURL: "http://127.0.0.1:7000")
        simulation.tasks["t-1"] = ProviderSimulation.SimulatedTask(endpoint: .freepikKlingV2, createdAt: start)
        #expect(video(&simulation, "t-1", at: start + 0.1).status == 404)  // not finished yet
        #expect(video(&simulation, "unknown", at: start + 1).status == 404)
        let whole = video(&simulation, "t-1", at: start + 1)
        #expect(whole.status == 200)
        #expect(whole.body == SimulatedVideo.bytes(taskID: "t-1", count: 1000))
        #expect(whole.body.prefix(12) == Array("\0\0\0\u{18}ftypisom".utf8)[...])
        #expect(SimulatedVideo.bytes(taskID: "t-2", count: 1000) != whole.body)
        #expect(whole.headers.contains(Delivery.Header(name: "Content-Type", value: "video/mp4")))
        let tail = video(&simulation, "t-1", at: start + 1, range: "bytes=400-")
        #expect(tail.status == 206)
        #expect(tail.body == Array(whole.body[400...]))
        #expect(tail.headers.contains(Delivery.Header(name: "Content-Range", value: "bytes 400-999/1000")))
        let middle = video(&simulation, "t-1", at: start + 1, range: "bytes=10-19")
        #expect(middle.body == Array(whole.body[10...19]))
        let beyond = video(&simulation, "t-1", at: start + 1, range: "bytes=1000-")
        #expect(beyond.status == 416)
        #expect(beyond.headers == [Delivery.Header(name: "Content-Range", value: "bytes */1000")])
        #expect(video(&simulation, "t-1", at: start + 1, range: "bytes=5-2").status == 200)  // unusable: ignored
    }
}
