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

    @Test func bytesAreTheTextInUTF8AppendedToWhatIsAlreadyThere() {
        let value: JSON = .object([
            ("naïve key", .string("tab\there \u{2029} ✓")), ("n", .number("12.5e3")),
            ("x", .array([.null, .bool(false)])),
        ])
        #expect(value.bytes == Array(#"{"naïve key":"tab\there \u2029 ✓","n":12.5e3,"x":[null,false]}"#.utf8))
        #expect(value.text == String(decoding: value.bytes, as: UTF8.self))
        var out = Array("data: ".utf8)
        value.write(into: &out)
        #expect(out == Array("data: ".utf8) + value.bytes)
        var quoted: [UInt8] = []
        JSON.appendQuoted("a\"b", to: &quoted)
        #expect(quoted == Array(#""a\"b""#.utf8))
    }
}
