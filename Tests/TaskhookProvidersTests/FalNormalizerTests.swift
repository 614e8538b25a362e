import TaskhookCore
import Testing

@testable import TaskhookProviders

@Suite struct FalNormalizerTests {
    let normalizer = FalProfile()
    static let requestID = "727028ec-aa98-4073-9bcd-0acb386abcfc"

    static func event(_ status: TaskStatus, results: [String] = [], error: String? = nil) -> TaskEvent {
        TaskEvent(taskID: requestID, provider: "fal", status: status, results: results, error: error)
    }

    /// fal's kling-video v2.5-turbo pro image-to-video output (`{video: File}`) in fal's webhook envelope.
    @Test func theKlingVideoV25TurboProOutputCompletesWithItsVideo() {
        let body =
            #"{"request_id":"727028ec-aa98-4073-9bcd-0acb386abcfc","#
            + #""gateway_request_id":"727028ec-aa98-4073-9bcd-0acb386abcfc","status":"OK","payload":{"video":"#
            + #"{"url":"https://v3.fal.media/files/.../output.mp4","content_type":"video/mp4","#
            + #""file_name":"output.mp4","file_size":1234567}}}"#
        #expect(
            normalizer.normalize(Fixtures.body(body))
                == .events([Self.event(.completed, results: ["https://v3.fal.media/files/.../output.mp4"])], note: nil))
    }

    @Test func theSignedVectorBodyNormalizesToo() {
        let expected = TaskEvent(
            taskID: Fixtures.Fal.requestID, provider: "fal", status: .completed,
            results: ["https://v3.fal.media/files/example/output.mp4"])
        #expect(normalizer.normalize(Fixtures.body(Fixtures.Fal.body)) == .events([expected], note: nil))
    }

    /// The model output alone, as `response_url` returns it, is not a webhook body.
    @Test func theBareModelOutputWithoutTheEnvelopeIsUnparsed() {
        let body = #"{"video":{"url":"https://v3.fal.media/files/.../output.mp4","content_type":"video/mp4"}}"#
        #expect(normalizer.normalize(Fixtures.body(body)) == .unparsed(reason: #"the body has no "request_id""#))
    }

    @Test func theVideoComesFirstThenEveryOtherURLOnceInDocumentOrder() {
        let body =
            #"{"request_id":"\#(Self.requestID)","status":"OK","payload":{"#
            + #""thumbnails":["https://cdn/t1.jpg","http://cdn/t2.jpg","https://cdn/t1.jpg"],"#
            + #""seed":42,"note":"not a url","video":{"url":"https://cdn/v.mp4"},"#
            + #""extra":{"deep":[{"u":"HTTPS://CDN/V.MP4"},"https://cdn/v.mp4","ftp://cdn/x"]}}}"#
        let expected = ["https://cdn/v.mp4", "https://cdn/t1.jpg", "http://cdn/t2.jpg", "HTTPS://CDN/V.MP4"]
        #expect(
            normalizer.normalize(Fixtures.body(body)) == .events([Self.event(.completed, results: expected)], note: nil)
        )
    }

    @Test func anOutputWithoutAVideoStillGivesItsURLs() {
        let body =
            #"{"request_id":"\#(Self.requestID)","status":"OK","payload":{"images":[{"url":"https://cdn/i.png"}]}}"#
        #expect(
            normalizer.normalize(Fixtures.body(body))
                == .events([Self.event(.completed, results: ["https://cdn/i.png"])], note: nil))
    }

    @Test func theDocumentedErrorBodyFailsWithItsMessageAndDetail() {
        let body =
            #"{"request_id":"\#(Self.requestID)","gateway_request_id":"\#(Self.requestID)","#
            + #""status":"ERROR","error":"Invalid status code: 422","#
            + #""payload":{"detail":[{"loc":["body","prompt"],"msg":"field required","type":"value_error.missing"}]}}"#
        let expected = Self.event(.failed, error: "Invalid status code: 422 (body.prompt: field required)")
        #expect(normalizer.normalize(Fixtures.body(body)) == .events([expected], note: nil))
    }

    @Test func anErrorWithoutDetailKeepsFalsMessage() {
        let body = #"{"request_id":"\#(Self.requestID)","status":"ERROR","error":"Timeout","payload":null}"#
        #expect(
            normalizer.normalize(Fixtures.body(body)) == .events([Self.event(.failed, error: "Timeout")], note: nil))
    }

    @Test func theDocumentedPayloadErrorBodyCompletesWithoutResultsAndSaysSo() {
        let body =
            #"{"request_id":"\#(Self.requestID)","gateway_request_id":"\#(Self.requestID)","#
            + #""status":"OK","payload":null,"payload_error":"Response payload is not JSON serializable."}"#
        let note =
            "fal sent no payload (payload_error: Response payload is not JSON serializable.); "
            + "fetch the result from the queue"
        #expect(normalizer.normalize(Fixtures.body(body)) == .events([Self.event(.completed)], note: note))
    }

    @Test func aNullPayloadErrorIsNoPayloadError() {
        let body =
            #"{"request_id":"\#(Self.requestID)","status":"OK","error":null,"payload_error":null,"#
            + #""payload":{"video":{"url":"https://cdn/v.mp4"}}}"#
        #expect(
            normalizer.normalize(Fixtures.body(body))
                == .events([Self.event(.completed, results: ["https://cdn/v.mp4"])], note: nil))
    }

    @Test(arguments: [
        (#"{"request_id":"r","status":"IN_PROGRESS"}"#, #"unknown fal status "IN_PROGRESS" (known: OK, ERROR)"#),
        (#"{"request_id":"r"}"#, #"the body has no "status""#),
        (#"{"status":"OK","payload":{}}"#, #"the body has no "request_id""#),
        (#"{"request_id":null,"status":"OK"}"#, #""request_id" in the body is null, not a string"#),
        ("null", "the body is null, not a JSON object"),
    ])
    func bodiesThatSayNothingUsableAreUnparsedWithAReason(body: String, reason: String) {
        #expect(normalizer.normalize(Fixtures.body(body)) == .unparsed(reason: reason))
    }
}
