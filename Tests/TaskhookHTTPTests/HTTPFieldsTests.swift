import Testing

@testable import TaskhookHTTP

@Suite struct HTTPFieldsTests {
    @Test func fieldsParsedFromAHeadEqualTheSameFieldsBuiltFromStrings() throws {
        var parser = RequestParser()
        let input = Array(
            "POST /x HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: 0\r\n\r\n".utf8)
        guard case .head(let head) = try parser.parse(input[...]).event else {
            Issue.record("no head")
            return
        }
        #expect(
            head.fields
                == HTTPFields([("Host", "a"), ("content-type", "application/json"), ("CONTENT-LENGTH", "0")]))
        #expect(head.fields != HTTPFields([("Host", "a"), ("content-type", "application/json")]))
        #expect(head.fields != HTTPFields([("Host", "a"), ("content-type", "application/jsonContent-Length: 0")]))
    }

    @Test func aFieldIsFoundByNameWhateverItsCaseAndItsBytesAreSlicesOfTheFields() {
        let fields = HTTPFields([("Webhook-ID", "msg_1"), ("X", ""), ("webhook-id", "msg_2")])
        let first = fields.first("WEBHOOK-id")
        #expect(first.map { String(decoding: $0.nameBytes, as: UTF8.self) } == "webhook-id")
        #expect(first?.value == "msg_1")
        #expect(first?.hasName("webhook-id") == true)
        #expect(first?.hasName("webhook-i") == false)
        #expect(fields.first("x")?.valueBytes.isEmpty == true)
        #expect(fields.first("webhook") == nil)
        #expect(fields.values("Webhook-Id") == ["msg_1", "msg_2"])
        #expect(fields.values("none").isEmpty)
        #expect(fields.map(\.name) == ["webhook-id", "x", "webhook-id"])
        #expect(fields[2].value == "msg_2")
    }

    @Test func namesAndValuesStayApartWhenOneEndsWhereTheNextBegins() {
        // Names and values are back to back in one buffer: "ab" + "c" must not read as "a" + "bc".
        var fields = HTTPFields()
        fields.append(name: "ab", value: "c")
        fields.append(name: "a", value: "bc")
        #expect(fields["ab"] == "c")
        #expect(fields["a"] == "bc")
        #expect(fields.count == 2)
        #expect(HTTPFields().isEmpty)
    }

    @Test func aResponseFieldIsWrittenWithCanonicalCaseAndFramingFieldsAreTheWriters() {
        let response = Response(
            status: .ok,
            headers: HTTPFields([("x-request-id", "7"), ("Content-Length", "99"), ("connection", "close")]),
            body: Array("hi".utf8))
        var out: [UInt8] = []
        ResponseWriter.serialize(
            response, keepAlive: true, requestVersion: .http11, omitBody: false, date: "D", into: &out)
        #expect(
            String(decoding: out, as: UTF8.self)
                == "HTTP/1.1 200 OK\r\nX-Request-Id: 7\r\nContent-Length: 2\r\nDate: D\r\nServer: taskhookd\r\n\r\nhi")
    }

    @Test func aResponseFieldValueCannotSplitTheResponse() {
        let response = Response(
            status: .ok, headers: HTTPFields([("location", "/a\r\nSet-Cookie: x=1\n\r"), ("x-multi-part-name", "v")]))
        var out: [UInt8] = []
        ResponseWriter.serialize(
            response, keepAlive: true, requestVersion: .http11, omitBody: false, date: "D", into: &out)
        #expect(
            String(decoding: out, as: UTF8.self)
                == "HTTP/1.1 200 OK\r\nLocation: /a  Set-Cookie: x=1  \r\nX-Multi-Part-Name: v\r\n"
                + "Content-Length: 0\r\nDate: D\r\nServer: taskhookd\r\n\r\n")
    }

    @Test(arguments: [0, 7, 9, 10, 99, 100, 1234, 1_000_000, Int.max])
    func decimalsAreWrittenMostSignificantDigitFirst(value: Int) {
        var out: [UInt8] = [UInt8(ascii: "x")]
        ResponseWriter.appendDecimal(value, to: &out)
        #expect(String(decoding: out, as: UTF8.self) == "x\(value)")
    }
}
