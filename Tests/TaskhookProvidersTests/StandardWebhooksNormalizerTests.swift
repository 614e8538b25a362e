import TaskhookCore
import Testing

@testable import TaskhookProviders

@Suite struct StandardWebhooksNormalizerTests {
    static let statusMap: [String: TaskStatus] = [
        "queued": .created, "running": .inProgress, "done": .completed, "error": .failed, "3": .canceled,
    ]

    static func normalizer(
        id: String = "/data/id", status: String = "/data/state", results: String? = "/data/outputs",
        error: String? = "/data/error"
    ) throws -> StandardWebhooksProfile {
        StandardWebhooksProfile(
            name: "acme", taskID: try JSONPointer(id), status: try JSONPointer(status),
            results: try results.map { try JSONPointer($0) }, error: try error.map { try JSONPointer($0) },
            statusMap: statusMap)
    }

    @Test func theRecommendedTypeTimestampDataShapeIsRead() throws {
        let body =
            #"{"type":"video.done","timestamp":"2026-01-01T00:00:00Z","#
            + #""data":{"id":"job-1","state":"done","outputs":["https://cdn/a.mp4","https://cdn/b.mp4"]}}"#
        let expected = TaskEvent(
            taskID: "job-1", provider: "acme", status: .completed, results: ["https://cdn/a.mp4", "https://cdn/b.mp4"])
        #expect(try Self.normalizer().normalize(Fixtures.body(body)) == .events([expected], note: nil))
    }

    @Test func aSingleResultStringIsOneResult() throws {
        let body = #"{"data":{"id":"job-1","state":"done","outputs":"https://cdn/a.mp4"}}"#
        let expected = TaskEvent(taskID: "job-1", provider: "acme", status: .completed, results: ["https://cdn/a.mp4"])
        #expect(try Self.normalizer().normalize(Fixtures.body(body)) == .events([expected], note: nil))
    }

    @Test func escapedPointersReachMembersWithSlashAndTilde() throws {
        let normalizer = try Self.normalizer(id: "/a~1b", status: "/m~0n/0", results: "/r/1/url", error: nil)
        let body = #"{"a/b":"job-2","m~n":["running"],"r":[{"url":"x"},{"url":"https://cdn/c.mp4"}]}"#
        let expected = TaskEvent(taskID: "job-2", provider: "acme", status: .inProgress, results: ["https://cdn/c.mp4"])
        #expect(normalizer.normalize(Fixtures.body(body)) == .events([expected], note: nil))
    }

    @Test func anErrorIsReadFromItsPointer() throws {
        let body = #"{"data":{"id":"job-1","state":"error","error":"quota exceeded","outputs":null}}"#
        let expected = TaskEvent(taskID: "job-1", provider: "acme", status: .failed, error: "quota exceeded")
        #expect(try Self.normalizer().normalize(Fixtures.body(body)) == .events([expected], note: nil))
    }

    @Test func numericIDsAndStatusesAreReadAsWritten() throws {
        let body = #"{"data":{"id":1234,"state":3}}"#
        let expected = TaskEvent(taskID: "1234", provider: "acme", status: .canceled)
        #expect(try Self.normalizer().normalize(Fixtures.body(body)) == .events([expected], note: nil))
    }

    @Test func resultsOfTheWrongTypeAreIgnoredWithANote() throws {
        let body = #"{"data":{"id":"job-1","state":"done","outputs":{"url":"https://cdn/a.mp4"}}}"#
        let expected = TaskEvent(taskID: "job-1", provider: "acme", status: .completed)
        #expect(
            try Self.normalizer().normalize(Fixtures.body(body))
                == .events([expected], note: "results at /data/outputs is an object, not strings; ignored"))
    }

    @Test(arguments: [
        (#"{"data":{"state":"done"}}"#, "no task id at /data/id"),
        (#"{"data":{"id":["x"],"state":"done"}}"#, "the task id at /data/id is an array, not a string"),
        (#"{"data":{"id":"job-1"}}"#, "no status at /data/state"),
        (
            #"{"data":{"id":"job-1","state":"paused"}}"#,
            #"status "paused" at /data/state is not in the status map (known: 3, done, error, queued, running)"#
        ),
        (#"{"data":{"id":"job-1","state":{"s":1}}}"#, "the status at /data/state is an object, not a string"),
        (#"{"data":"job-1"}"#, "no task id at /data/id"),
        (#""job-1""#, "the body is a string, not a JSON object"),
    ])
    func bodiesThatSayNothingUsableAreUnparsedWithAReason(body: String, reason: String) throws {
        #expect(try Self.normalizer().normalize(Fixtures.body(body)) == .unparsed(reason: reason))
    }
}
