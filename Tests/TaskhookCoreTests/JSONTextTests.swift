import Testing

@testable import TaskhookCore

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
