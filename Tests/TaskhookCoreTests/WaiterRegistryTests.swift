import Testing

@testable import TaskhookCore

@Suite struct WaiterRegistryTests {
    @Test func waitersForATaskAreTakenTogetherInArrivalOrder() {
        var registry = WaiterRegistry<String>(limit: 10)
        _ = registry.add("a1", for: "A")
        _ = registry.add("b1", for: "B")
        _ = registry.add("a2", for: "A")
        #expect(registry.take(task: "A") == ["a1", "a2"])
        #expect(registry.take(task: "A") == [])
        #expect(registry.count == 1)
    }

    @Test func aRemovedWaiterIsNotWokenLater() {
        var registry = WaiterRegistry<String>(limit: 10)
        let id = registry.add("gone", for: "A")!
        _ = registry.add("here", for: "A")
        #expect(registry.remove(id) == "gone")
        #expect(registry.remove(id) == nil)
        #expect(registry.take(task: "A") == ["here"])
    }

    @Test func theLimitIsEnforced() {
        var registry = WaiterRegistry<Int>(limit: 2)
        #expect(registry.add(1, for: "A") != nil)
        #expect(registry.add(2, for: "B") != nil)
        #expect(registry.add(3, for: "C") == nil)
        #expect(registry.takeAll() == [1, 2])
        #expect(registry.add(3, for: "C") != nil)
    }

    @Test func aTaskRendersAsTheControlAPIDescribesIt() {
        var table = TaskTable()
        table.apply(
            TaskEvent(taskID: "t", provider: "fal", status: .completed, results: ["https://v/1.mp4"]), deliveryID: nil,
            sequence: 3, time: 1000)
        let text = table["t"]!.json.text
        #expect(
            text.hasPrefix(
                #"{"id":"t","provider":"fal","status":"completed","terminal":true,"results":["https://v/1.mp4"],"error":null,"first_seen":1000,"updated":1000,"deliveries":[{"sequence":3"#
            ))
    }
}

@Suite struct JSONTextTests {
    @Test func stringsAreEscapedOnlyWhereJSONNeedsIt() {
        #expect(JSON.string("https://cdn.example/v.mp4?a=1&b=2").text == #""https://cdn.example/v.mp4?a=1&b=2""#)
        #expect(JSON.string("say \"hi\"\\").text == #""say \"hi\"\\""#)
        #expect(JSON.string("line\nbreak\ttab\u{01}").text == #""line\nbreak\ttab\u0001""#)
        #expect(JSON.string("sep\u{2028}arator").text == #""sep\u2028arator""#)
        #expect(JSON.string("café ✓").text == "\"café ✓\"")
        #expect(JSON.object([("a", .array([.integer(-1), .bool(true), .null]))]).text == #"{"a":[-1,true,null]}"#)
    }
}
