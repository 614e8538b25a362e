import Testing

@testable import TaskhookClient

@Suite struct ResponseParserTests {
    static let complete = Array(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\nRetry-After:  7 \r\n\r\n{\"id\":\"a\"}\n"
            .utf8)

    private func parse(_ pieces: [[UInt8]]) throws -> ControlResponse? {
        var parser = ResponseParser()
        var response: ControlResponse?
        for piece in pieces {
            parser.feed(piece)
            response = try parser.response() ?? response
        }
        return response
    }

    @Test func aCompleteAnswerGivesStatusHeadersAndBody() throws {
        let response = try #require(try parse([Self.complete]))
        #expect(response.status == 200)
        #expect(response.header("content-type") == "application/json")
        #expect(response.header("RETRY-AFTER") == "7")
        #expect(response.retryAfter == .seconds(7))
        #expect(response.text == "{\"id\":\"a\"}\n")
    }

    @Test func everySplitOfTheBytesGivesTheSameAnswer() throws {
        let whole = try #require(try parse([Self.complete]))
        for cut in 1..<Self.complete.count {
            let pieces = [Array(Self.complete[..<cut]), Array(Self.complete[cut...])]
            #expect(try parse(pieces) == whole, "split at \(cut)")
        }
        #expect(try parse(Self.complete.map { [$0] }) == whole)
    }

    @Test func anAnswerIsNotCompleteBeforeContentLengthBytesHaveArrived() throws {
        var parser = ResponseParser()
        parser.feed(Self.complete.dropLast())
        #expect(try parser.response() == nil)
        #expect(try parser.head()?.status == 200)
        #expect(try parser.head()?.length == 11)
    }

    @Test func bytesAfterTheBodyAreNotPartOfIt() throws {
        var parser = ResponseParser()
        parser.feed(Array("HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nnoGARBAGE".utf8))
        #expect(try parser.response()?.text == "no")
    }

    @Test func interimAnswersAreSkipped() throws {
        let bytes = Array("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 503 Busy\r\nContent-Length: 0\r\n\r\n".utf8)
        #expect(try parse([bytes])?.status == 503)
    }

    @Test func withoutContentLengthTheBodyRunsToTheEndOfTheConnection() throws {
        var parser = ResponseParser()
        parser.feed(Array("HTTP/1.0 200 OK\r\n\r\npart one, ".utf8))
        #expect(try parser.response() == nil)
        parser.feed(Array("part two".utf8))
        let response = try parser.finish()
        #expect(response.status == 200)
        #expect(response.text == "part one, part two")
    }

    @Test func aStreamedBodyIsHandedOverAsItArrives() throws {
        var parser = ResponseParser()
        parser.feed(Array("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\nid: 1".utf8))
        #expect(try parser.head()?.status == 200)
        #expect(parser.takeBody() == Array("id: 1".utf8))
        #expect(parser.takeBody() == [])
    }

    @Test func aConnectionClosedBeforeTheWholeBodyIsAClearError() throws {
        var parser = ResponseParser()
        parser.feed(Self.complete.dropLast(3))
        #expect(throws: ControlError.broken("taskhookd closed the connection before a complete answer")) {
            try parser.finish()
        }
        var empty = ResponseParser()
        #expect(throws: ControlError.broken("taskhookd closed the connection before a complete answer")) {
            try empty.finish()
        }
    }

    @Test(arguments: [
        ("SSH-2.0-OpenSSH_9.6\r\n\r\n", "taskhookd sent something that is not an HTTP/1.1 answer"),
        ("HTTP/1.1 2OO OK\r\n\r\n", "taskhookd sent something that is not an HTTP/1.1 answer"),
        ("HTTP/1.1 700 Odd\r\n\r\n", "taskhookd sent something that is not an HTTP/1.1 answer"),
        ("HTTP/1.1\r\n\r\n", "taskhookd sent something that is not an HTTP/1.1 answer"),
        ("HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", "taskhookd sent a bad header line"),
        ("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "taskhookd sent an unusable Content-Length: -1"),
        ("HTTP/1.1 200 OK\r\nContent-Length: 12ab\r\n\r\n", "taskhookd sent an unusable Content-Length: 12ab"),
        (
            "HTTP/1.1 200 OK\r\nContent-Length: 999999999999\r\n\r\n",
            "taskhookd sent an unusable Content-Length: 999999999999"
        ),
        (
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
            "taskhookd sent a Transfer-Encoding this client does not read"
        ),
    ])
    func garbledAnswersAreClearErrors(text: String, reason: String) {
        var parser = ResponseParser()
        parser.feed(Array(text.utf8))
        #expect(throws: ControlError.broken(reason)) { try parser.response() }
    }

    @Test func aHeadThatNeverEndsIsRefusedOnceOversized() throws {
        var parser = ResponseParser()
        parser.feed(Array("HTTP/1.1 200 OK\r\n".utf8))
        #expect(try parser.response() == nil)
        parser.feed([UInt8](repeating: UInt8(ascii: "x"), count: ResponseParser.maxHead))
        #expect(throws: ControlError.broken("taskhookd sent an oversized header")) { try parser.response() }
    }

    @Test func theDaemonsReasonComesFromItsJSONOrItsText() {
        #expect(ControlResponse(status: 401, body: Array("{\"error\":\"wrong token\"}".utf8)).message == "wrong token")
        #expect(ControlResponse(status: 503, body: Array("  draining\n".utf8)).message == "draining")
        #expect(ControlResponse(status: 502).message == "HTTP 502")
        #expect(ControlResponse(status: 503, headers: [.init("Retry-After", "-3")]).retryAfter == .zero)
        #expect(ControlResponse(status: 503, headers: [.init("Retry-After", "soon")]).retryAfter == nil)
    }
}
