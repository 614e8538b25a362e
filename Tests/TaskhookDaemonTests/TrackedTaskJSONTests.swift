import TaskhookCore
import TaskhookState
import Testing

@testable import TaskhookDaemon

@Suite struct TrackedTaskJSONTests {
    @Test func aTaskRendersAsTheControlAPIDescribesIt() {
        var table = TaskTable()
        table.apply(
            TaskEvent(taskID: "t", provider: "fal", status: .completed, results: ["https://v/1.mp4"]), deliveryID: nil,
            sequence: 3, time: 1000)
        let text = table["t"]!.json.text
        #expect(
            text.hasPrefix(
                #"{"id":"t","provider":"fal","key":"fal:t","external_id":null,"status":"completed","terminal":true,"results":["https://v/1.mp4"],"error":null,"first_seen":1000,"updated":1000,"last_heard":1000,"expected":null,"deliveries":[{"sequence":3,"status":"completed","time":1000,"applied":true,"delivery_id":null,"source":"callback"}]}"#
            ))
    }

    @Test func anExpectedTaskShowsWhatItsJobExpects() {
        var table = TaskTable()
        table.expect(
            ExpectRecord(
                provider: "fal", id: "t", registration: nil, endpoint: "fal/kling-video-v2.5-turbo-pro",
                statusURL: "https://queue/s", deadline: 9_000, labels: [Expectation.Label(name: "job", value: "7")]),
            sequence: 1, time: 1000)
        #expect(
            table["t"]!.json.text.contains(
                #""status":"created","terminal":false,"results":[],"error":null,"first_seen":1000,"updated":1000,"last_heard":1000,"expected":{"endpoint":"fal/kling-video-v2.5-turbo-pro","status_url":"https://queue/s","result_url":null,"deadline":9000,"labels":{"job":"7"},"registration":null,"registered":1000},"deliveries":[]"#
            ))
    }
}
