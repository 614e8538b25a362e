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
                #"{"id":"t","provider":"fal","key":"fal:t","external_id":null,"status":"completed","terminal":true,"results":["https://v/1.mp4"],"error":null,"first_seen":1000,"updated":1000,"deliveries":[{"sequence":3"#
            ))
    }
}
