import TaskhookCore
import Testing

@testable import TaskhookProviders

@Suite struct ReplicateNormalizerTests {
    let normalizer = ReplicateProfile()

    static func prediction(status: String, output: String = "null", error: String = "null") -> Callback {
        Fixtures.body(
            #"{"id":"ufawqhfynnddngldkgtslldrkq","#
                + #""version":"5c7d5dc6dd8bf75c1acaa8565735e7986bc5b66206b55cca93cb72c9bf15ccaa","#
                + #""created_at":"2022-04-26T22:13:06.224088Z","started_at":null,"completed_at":null,"#
                + #""status":"\#(status)","input":{"prompt":"a cat","image":"https://example.com/in.png"},"#
                + #""output":\#(output),"error":\#(error),"logs":"","metrics":{}}"#)
    }

    static func event(_ status: TaskStatus, results: [String] = [], error: String? = nil) -> Normalized {
        .events(
            [
                TaskEvent(
                    taskID: "ufawqhfynnddngldkgtslldrkq", provider: "replicate", status: status, results: results,
                    error: error)
            ],
            note: nil)
    }

    @Test(arguments: [
        ("starting", TaskStatus.created), ("processing", .inProgress), ("canceled", .canceled), ("aborted", .canceled),
    ])
    func statusesWithoutOutputAreMapped(status: String, expected: TaskStatus) {
        #expect(normalizer.normalize(Self.prediction(status: status)) == Self.event(expected))
    }

    @Test func anOutputThatIsOneURLIsTheResult() {
        #expect(
            normalizer.normalize(Self.prediction(status: "succeeded", output: #""https://replicate.delivery/v.mp4""#))
                == Self.event(.completed, results: ["https://replicate.delivery/v.mp4"]))
    }

    @Test func anOutputThatIsAListOfURLsKeepsItsOrder() {
        let output = #"["https://replicate.delivery/b.mp4","https://replicate.delivery/a.mp4"]"#
        #expect(
            normalizer.normalize(Self.prediction(status: "succeeded", output: output))
                == Self.event(
                    .completed, results: ["https://replicate.delivery/b.mp4", "https://replicate.delivery/a.mp4"]))
    }

    @Test func inputURLsAreNotResults() {
        #expect(normalizer.normalize(Self.prediction(status: "succeeded", output: "[]")) == Self.event(.completed))
    }

    @Test func aFailedPredictionCarriesItsError() {
        #expect(
            normalizer.normalize(Self.prediction(status: "failed", error: #""CUDA out of memory""#))
                == Self.event(.failed, error: "CUDA out of memory"))
    }

    @Test func anIntegerIDIsTakenDigitForDigit() {
        let body = #"{"id":12345678901234567890,"status":"starting"}"#
        let expected = TaskEvent(taskID: "12345678901234567890", provider: "replicate", status: .created)
        #expect(normalizer.normalize(Fixtures.body(body)) == .events([expected], note: nil))
    }

    @Test(arguments: [
        (
            #"{"id":"p","status":"queued"}"#,
            #"unknown Replicate status "queued" (known: starting, processing, succeeded, failed, canceled, aborted)"#
        ),
        (#"{"status":"succeeded","output":"https://x/y"}"#, #"the body has no "id""#),
        (#"{"id":1.5,"status":"starting"}"#, #""id" in the body is a number but not an integer (1.5)"#),
    ])
    func bodiesThatSayNothingUsableAreUnparsedWithAReason(body: String, reason: String) {
        #expect(normalizer.normalize(Fixtures.body(body)) == .unparsed(reason: reason))
    }
}
