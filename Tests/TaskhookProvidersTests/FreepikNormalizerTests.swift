import TaskhookCore
import Testing

@testable import TaskhookProviders

@Suite struct FreepikNormalizerTests {
    let normalizer = FreepikProfile()
    static let taskID = "046b6c7f-0b8a-43b9-b35d-6489e6daee91"

    static func event(_ status: TaskStatus, results: [String] = []) -> Normalized {
        .events([TaskEvent(taskID: taskID, provider: "freepik", status: status, results: results)], note: nil)
    }

    /// The task objects of the four seed endpoints' examples (`task` schema: task_id and status only).
    @Test(arguments: [
        ("kling-v2-5-pro", "CREATED", TaskStatus.created),
        ("kling-v2", "IN_PROGRESS", .inProgress),
        ("kling-elements-pro", "CREATED", .created),
        ("kling-v2-1-std", "CREATED", .created),
    ])
    func eachSeedEndpointsTaskIsReadBareAndWrapped(endpoint: String, status: String, expected: TaskStatus) {
        let task = #"{"task_id":"\#(Self.taskID)","status":"\#(status)"}"#
        #expect(normalizer.normalize(Fixtures.body(task)) == Self.event(expected), "\(endpoint) bare")
        #expect(normalizer.normalize(Fixtures.body(#"{"data":\#(task)}"#)) == Self.event(expected), "\(endpoint) data")
    }

    @Test func theDocumentedRunningTaskDetailIsInProgress() {
        let body =
            #"{"data": {"generated": [], "task_id": "046b6c7f-0b8a-43b9-b35d-6489e6daee91", "status": "IN_PROGRESS"}}"#
        #expect(normalizer.normalize(Fixtures.body(body)) == Self.event(.inProgress))
    }

    @Test func aCompletedCallbackCarriesTheGeneratedURLs() {
        #expect(
            normalizer.normalize(Fixtures.body(Fixtures.Freepik.body))
                == Self.event(.completed, results: ["https://example.com/generated/video.mp4"]))
        #expect(
            normalizer.normalize(Fixtures.body(#"{"data":\#(Fixtures.Freepik.body)}"#))
                == Self.event(.completed, results: ["https://example.com/generated/video.mp4"]))
    }

    @Test func severalGeneratedURLsKeepTheirOrder() {
        let body =
            #"{"task_id":"\#(Self.taskID)","status":"COMPLETED","generated":["https://a/2.mp4","https://a/1.mp4"]}"#
        #expect(
            normalizer.normalize(Fixtures.body(body))
                == Self.event(.completed, results: ["https://a/2.mp4", "https://a/1.mp4"]))
    }

    @Test func aFailedCallbackIsFailed() {
        let body = #"{"task_id":"\#(Self.taskID)","status":"FAILED","generated":[]}"#
        #expect(normalizer.normalize(Fixtures.body(body)) == Self.event(.failed))
    }

    @Test func unknownFieldsAreIgnored() {
        let body =
            #"{"task_id":"\#(Self.taskID)","status":"COMPLETED","has_nsfw":[false],"#
            + #""generated":["https://x/v.mp4"],"extra":{"a":[1,2]}}"#
        #expect(normalizer.normalize(Fixtures.body(body)) == Self.event(.completed, results: ["https://x/v.mp4"]))
    }

    @Test(arguments: [
        (
            #"{"task_id":"t","status":"DONE"}"#,
            #"unknown Freepik status "DONE" (known: CREATED, IN_PROGRESS, COMPLETED, FAILED)"#
        ),
        (
            #"{"task_id":"t","status":"completed"}"#,
            #"unknown Freepik status "completed" (known: CREATED, IN_PROGRESS, COMPLETED, FAILED)"#
        ),
        (#"{"status":"COMPLETED"}"#, #"the body has no "task_id""#),
        (#"{"data":{"status":"COMPLETED"}}"#, #"the body's "data" object has no "task_id""#),
        (#"{"data":{"task_id":"t"}}"#, #"the body's "data" object has no "status""#),
        (#"{"task_id":"","status":"CREATED"}"#, #""task_id" in the body is empty"#),
        (#"{"task_id":{"id":1},"status":"CREATED"}"#, #""task_id" in the body is an object, not a string"#),
        (#"{"task_id":"t","status":3}"#, #""status" in the body is a number, not a string"#),
        (#"["task_id"]"#, "the body is an array, not a JSON object"),
        ("", "the body is empty"),
        ("status=CREATED&task_id=t", "the body is not JSON: expected a value, found 's' at byte 0"),
        (
            #"{"task_id":"t","status":"CREATED""#,
            "the body is not JSON: expected ',' or '}', found the end of the document at byte 33"
        ),
    ])
    func bodiesThatSayNothingUsableAreUnparsedWithAReason(body: String, reason: String) {
        #expect(normalizer.normalize(Fixtures.body(body)) == .unparsed(reason: reason))
    }
}
