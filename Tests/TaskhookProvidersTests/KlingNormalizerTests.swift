import TaskhookCore
import Testing

@testable import TaskhookProviders

@Suite struct KlingNormalizerTests {
    let normalizer = KlingProfile()

    static let succeeded =
        #"{"task_id":"CjhfG2dxbpcAAAAAAGtDJw","task_status":"succeed","task_status_msg":"","#
        + #""created_at":1722769557708,"updated_at":1722769601022,"final_unit_deduction":"1","#
        + #""task_info":{"external_task_id":"job-7"},"#
        + #""task_result":{"videos":[{"id":"v1","url":"https://cdn.klingai.com/a.mp4","duration":"5.1"},"#
        + #"{"id":"v2","url":"https://cdn.klingai.com/b.mp4","duration":"5.1"}]}}"#

    static func event(_ status: TaskStatus, results: [String] = [], error: String? = nil, externalID: String? = nil)
        -> Normalized
    {
        .events(
            [
                TaskEvent(
                    taskID: "CjhfG2dxbpcAAAAAAGtDJw", provider: "kling", status: status, results: results, error: error,
                    externalID: externalID)
            ],
            note: nil)
    }

    @Test func aSucceededCallbackCarriesItsVideos() {
        #expect(
            normalizer.normalize(Fixtures.body(Self.succeeded))
                == Self.event(
                    .completed, results: ["https://cdn.klingai.com/a.mp4", "https://cdn.klingai.com/b.mp4"],
                    externalID: "job-7"))
    }

    @Test func thePollAnswersDataEnvelopeIsUnwrapped() {
        let body = #"{"code":0,"message":"SUCCEED","request_id":"req-1","data":\#(Self.succeeded)}"#
        #expect(
            normalizer.normalize(Fixtures.body(body))
                == Self.event(
                    .completed, results: ["https://cdn.klingai.com/a.mp4", "https://cdn.klingai.com/b.mp4"],
                    externalID: "job-7"))
    }

    @Test(arguments: [("submitted", TaskStatus.created), ("processing", .inProgress)])
    func runningStatusesAreMapped(status: String, expected: TaskStatus) {
        let body = #"{"task_id":"CjhfG2dxbpcAAAAAAGtDJw","task_status":"\#(status)","task_status_msg":""}"#
        #expect(normalizer.normalize(Fixtures.body(body)) == Self.event(expected))
    }

    @Test func aFailedCallbackCarriesTaskStatusMsgAsItsError() {
        let body =
            #"{"task_id":"CjhfG2dxbpcAAAAAAGtDJw","task_status":"failed","#
            + #""task_status_msg":"Failure to pass the risk control system","task_result":{}}"#
        #expect(
            normalizer.normalize(Fixtures.body(body))
                == Self.event(.failed, error: "Failure to pass the risk control system"))
        #expect(
            normalizer.normalize(Fixtures.body(#"{"data":\#(body)}"#))
                == Self.event(.failed, error: "Failure to pass the risk control system"))
    }

    @Test func aMessageOnASuccessIsNotAnError() {
        let body = #"{"task_id":"CjhfG2dxbpcAAAAAAGtDJw","task_status":"succeed","task_status_msg":"ok"}"#
        #expect(normalizer.normalize(Fixtures.body(body)) == Self.event(.completed))
    }

    @Test(arguments: [
        (
            #"{"task_id":"t","task_status":"success"}"#,
            #"unknown Kling task_status "success" (known: submitted, processing, succeed, failed)"#
        ),
        (#"{"task_status":"succeed"}"#, #"the body has no "task_id""#),
        (#"{"code":0,"data":{"task_status":"succeed"}}"#, #"the body's "data" object has no "task_id""#),
        (#"{"code":1201,"message":"invalid","data":null}"#, #"the body has no "task_id""#),
    ])
    func bodiesThatSayNothingUsableAreUnparsedWithAReason(body: String, reason: String) {
        #expect(normalizer.normalize(Fixtures.body(body)) == .unparsed(reason: reason))
    }
}
