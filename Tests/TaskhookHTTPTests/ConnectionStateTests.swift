import Testing

@testable import TaskhookHTTP
@testable import TaskhookPosix

/// Drives a `ConnectionState` the way the server does, with a mock clock and no socket.
struct ConnectionDriver {
    var state: ConnectionState
    var now = Instant(nanoseconds: 1_000_000_000)
    var decide: (RequestHead) -> HeadDecision = { _ in .readBody }
    var heads: [RequestHead] = []
    var requests: [Request] = []
    /// Everything the peer has been sent so far (the driver "writes" it all at once).
    var sent = ""

    init(limits: HTTPLimits = HTTPLimits()) {
        state = ConnectionState(limits: limits, now: now, date: { ConnectionDriver.date })
    }

    /// What the driver's clock says for the Date header.
    static let date = "Tue, 01 Dec 2026 14:00:00 GMT"

    mutating func send(_ text: String) { send(Array(text.utf8)) }

    mutating func send(_ bytes: [UInt8]) {
        let now = self.now
        let event = bytes.withUnsafeBytes { state.received($0, now: now) }
        handle(event)
    }

    mutating func respond(_ response: Response) {
        handle(state.respond(response, now: now))
    }

    mutating func eof() { handle(state.receivedEOF(now: now)) }

    /// The server has said all it will: the connection is done, or its sending side is (or is
    /// about to be) shut down while what the peer still sends is dropped.
    var closed: Bool { state.isDone || state.wantsWriteShutdown || state.isLingering }

    /// What the shell does once the output is flushed: shut down the sending side if it may.
    mutating func shutDownIfWanted() {
        if state.wantsWriteShutdown { state.shutDownWrite(now: now) }
    }

    /// The peer reads everything pending.
    mutating func drainOutput() {
        let pending = state.withPendingOutput { String(decoding: $0, as: UTF8.self) }
        sent += pending
        handle(state.wrote(pending.utf8.count, now: now))
        shutDownIfWanted()
    }

    mutating func advance(_ d: Duration) {
        now = now + d
        state.timeout(now: now)
        shutDownIfWanted()
    }

    private mutating func handle(_ event: ConnectionState.Event?) {
        var next = event
        while let event = next {
            next = nil
            switch event {
            case .head(let head):
                heads.append(head)
                next = state.decide(decide(head), now: now)
            case .request(let request):
                requests.append(request)
            }
        }
    }
}

@Suite struct ConnectionStateTests {
    let get = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"

    @Test func keepAliveServesRequestsOneAfterAnother() {
        var d = ConnectionDriver()
        d.send(get)
        #expect(d.requests.count == 1)
        d.respond(.text(.ok, "one"))
        d.send("GET /b HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(d.requests.map(\.head.path) == ["/a", "/b"])
        d.respond(.text(.ok, "two"))
        d.drainOutput()
        #expect(d.sent.components("HTTP/1.1 200 OK") == 2)
        #expect(!d.sent.contains("Connection: close"))
        #expect(!d.closed)
    }

    @Test func pipelinedRequestsAreAnsweredInOrder() {
        var d = ConnectionDriver()
        d.send(get + "GET /b HTTP/1.1\r\nHost: x\r\n\r\n" + "GET /c HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(d.requests.map(\.head.path) == ["/a"])  // the next waits for this answer
        d.respond(.text(.ok, "A"))
        #expect(d.requests.map(\.head.path) == ["/a", "/b"])
        d.respond(.text(.ok, "B"))
        d.respond(.text(.ok, "C"))
        d.drainOutput()
        let bodies = d.sent.split(separator: "\r\n\r\n").dropFirst().map { $0.prefix(1) }
        #expect(bodies == ["A", "B", "C"])
    }

    @Test func http10ClosesByDefault() {
        var d = ConnectionDriver()
        d.send("GET / HTTP/1.0\r\n\r\n")
        d.respond(.text(.ok, "x"))
        d.drainOutput()
        #expect(d.sent.contains("Connection: close\r\n"))
        #expect(d.closed)
    }

    @Test func http10KeepAliveIsHonouredAndAnnounced() {
        var d = ConnectionDriver()
        d.send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        d.respond(.text(.ok, "x"))
        d.drainOutput()
        #expect(d.sent.contains("Connection: keep-alive\r\n"))
        #expect(!d.closed)
    }

    @Test func connectionCloseFromTheClientClosesAfterTheAnswer() {
        var d = ConnectionDriver()
        d.send("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        d.respond(.text(.ok, "x"))
        d.drainOutput()
        #expect(d.sent.contains("Connection: close\r\n"))
        #expect(d.closed)
    }

    @Test func expectContinueSends100OnlyWhenTheBodyWillBeRead() {
        var d = ConnectionDriver()
        d.send("POST /h HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
        d.drainOutput()
        #expect(d.sent == "HTTP/1.1 100 Continue\r\n\r\n")
        d.send("hello")
        #expect(d.requests.first?.body == Array("hello".utf8))
    }

    @Test func expectContinueAnsweredEarlyGetsTheFinalStatusAndACloseInsteadOf100() {
        var d = ConnectionDriver()
        d.decide = { _ in .respond(.text(.notFound, "no")) }
        d.send("POST /h HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
        d.drainOutput()
        #expect(d.sent.hasPrefix("HTTP/1.1 404 Not Found\r\n"))
        #expect(!d.sent.contains("100 Continue"))
        #expect(d.sent.contains("Connection: close"))
        #expect(d.closed)
    }

    @Test func anEarlyAnswerDrainsTheBodySoItIsNeverParsedAsARequest() {
        var d = ConnectionDriver()
        d.decide = { head in head.path == "/nope" ? .respond(.text(.notFound, "no")) : .readBody }
        let smuggled = "GET /evil HTTP/1.1\r\nHost: x\r\n\r\n"
        d.send("POST /nope HTTP/1.1\r\nHost: x\r\nContent-Length: \(smuggled.utf8.count)\r\n\r\n" + smuggled + get)
        #expect(d.heads.map(\.path) == ["/nope", "/a"])
        #expect(d.requests.map(\.head.path) == ["/a"])
        d.respond(.text(.ok, "a"))
        d.drainOutput()
        #expect(d.sent.hasPrefix("HTTP/1.1 404"))
        #expect(d.sent.contains("HTTP/1.1 200"))
    }

    @Test func anEarlyAnswerDrainsAChunkedBodyToo() {
        var d = ConnectionDriver()
        d.decide = { head in head.method == "POST" ? .respond(.text(.methodNotAllowed, "no")) : .readBody }
        d.send("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n" + get)
        #expect(d.requests.map(\.head.path) == ["/a"])
    }

    @Test func aProtocolErrorIsAnsweredWithItsReasonThenTheConnectionCloses() {
        var d = ConnectionDriver()
        d.send("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n")
        d.drainOutput()
        #expect(d.sent.hasPrefix("HTTP/1.1 400 Bad Request\r\n"))
        #expect(d.sent.contains("Content-Length and Transfer-Encoding"))
        #expect(d.sent.contains("Connection: close"))
        #expect(d.closed)
        d.send(get)  // nothing more is read
        #expect(d.requests.isEmpty)
    }

    @Test func aSlowHeaderTimesOutWith408() {
        var d = ConnectionDriver()
        d.send("GET / HTTP/1.1\r\nHo")
        d.advance(.seconds(9))
        #expect(d.state.pendingOutputCount == 0)
        d.advance(.seconds(2))
        d.drainOutput()
        #expect(d.sent.hasPrefix("HTTP/1.1 408 Request Timeout\r\n"))
        #expect(d.closed)
    }

    @Test func trickledBytesDoNotExtendTheHeaderTimeout() {
        var d = ConnectionDriver()
        for byte in "GET / HTTP/1.1\r\nHost: x\r\n".utf8 {
            d.send([byte])
            d.advance(.milliseconds(400))
        }
        d.drainOutput()
        #expect(d.sent.hasPrefix("HTTP/1.1 408"))
    }

    @Test func aSlowBodyTimesOutWith408() {
        var d = ConnectionDriver()
        d.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
        d.advance(.seconds(31))
        d.drainOutput()
        #expect(d.sent.hasPrefix("HTTP/1.1 408"))
        #expect(d.sent.contains("body"))
    }

    @Test func anIdleKeepAliveConnectionClosesQuietly() {
        var d = ConnectionDriver()
        d.send(get)
        d.respond(.text(.ok, "x"))
        d.drainOutput()
        let before = d.sent
        d.advance(.seconds(59))
        #expect(!d.closed)
        d.advance(.seconds(2))
        #expect(d.closed)
        #expect(d.sent == before)
    }

    @Test func aConnectionThatNeverSendsAnythingClosesAtTheHeaderTimeout() {
        var d = ConnectionDriver()
        d.advance(.seconds(11))
        #expect(d.closed)
        #expect(d.state.pendingOutputCount == 0)
    }

    @Test func noTimeoutRunsWhileTheApplicationIsAnswering() {
        var d = ConnectionDriver()
        d.send(get)
        #expect(d.state.deadline == nil)
        d.advance(.seconds(600))
        d.respond(.text(.ok, "late"))
        d.drainOutput()
        #expect(d.sent.hasPrefix("HTTP/1.1 200"))
    }

    @Test func aPeerThatReadsNothingStopsBeingReadAndIsDroppedAfterTheWriteTimeout() {
        var limits = HTTPLimits()
        limits.maxPendingOutputBytes = 1000
        var d = ConnectionDriver(limits: limits)
        d.send(String(repeating: get, count: 50))
        var answered = 0
        while d.state.isAwaitingResponse {
            d.respond(.text(.ok, String(repeating: "x", count: 200)))
            answered += 1
        }
        #expect(answered < 50)  // stopped processing pipelined requests
        #expect(!d.state.wantsRead)
        d.advance(.seconds(31))
        #expect(d.closed)
    }

    @Test func backpressureReleasesWhenThePeerReads() {
        var limits = HTTPLimits()
        limits.maxPendingOutputBytes = 1000
        var d = ConnectionDriver(limits: limits)
        d.send(String(repeating: get, count: 20))
        var answered = 0
        for _ in 0..<100 {
            if d.state.isAwaitingResponse {
                d.respond(.text(.ok, String(repeating: "x", count: 200)))
                answered += 1
            } else {
                d.drainOutput()
            }
            if answered == 20 { break }
        }
        #expect(answered == 20)
    }

    @Test func drainingClosesAnIdleConnectionAndAnswersTheOneInFlightWithClose() {
        var idle = ConnectionDriver()
        idle.state.beginDrain()
        #expect(idle.closed)

        var busy = ConnectionDriver()
        busy.send(get)
        busy.state.beginDrain()
        #expect(!busy.closed)
        busy.respond(.text(.ok, "x"))
        busy.drainOutput()
        #expect(busy.sent.contains("Connection: close"))
        #expect(busy.closed)
    }

    @Test func aHalfClosedClientStillGetsItsAnswer() {
        var d = ConnectionDriver()
        d.send(get)
        d.eof()
        #expect(!d.closed)
        #expect(!d.state.wantsRead)
        d.respond(.text(.ok, "x"))
        d.drainOutput()
        #expect(d.sent.hasPrefix("HTTP/1.1 200"))
        #expect(d.closed)
    }

    @Test func eofInTheMiddleOfARequestClosesWithoutAnAnswer() {
        var d = ConnectionDriver()
        d.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
        d.eof()
        #expect(d.closed)
        #expect(d.state.pendingOutputCount == 0)
    }

    @Test func aStreamedAnswerHasNoLengthEndsWithTheConnectionAndIgnoresFurtherInput() {
        var d = ConnectionDriver()
        d.send(get)
        d.state.startStream(
            Response(
                status: .ok, headers: HTTPFields([("Content-Type", "text/event-stream")]), body: Array(": hi\n\n".utf8)),
            now: d.now)
        d.state.stream(Array("id: 1\n\n".utf8), now: d.now)
        d.send("GET /pipelined HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(d.requests.count == 1)
        d.drainOutput()
        #expect(!d.sent.contains("Content-Length"))
        #expect(d.sent.contains("Connection: close\r\n"))
        #expect(d.sent.hasSuffix("\r\n\r\n: hi\n\nid: 1\n\n"))
        d.advance(.seconds(600))  // a quiet stream is not timed out
        #expect(!d.closed)
        d.state.endStream()
        #expect(d.closed)
    }

    @Test func headAnswersCarryContentLengthButNoBody() {
        var d = ConnectionDriver()
        d.send("HEAD / HTTP/1.1\r\nHost: x\r\n\r\n")
        d.respond(.text(.ok, "hello"))
        d.drainOutput()
        #expect(d.sent.contains("Content-Length: 6\r\n"))
        #expect(d.sent.hasSuffix("\r\n\r\n"))
    }

    @Test func responsesCarryDateAndServerAndNeverTheHandlersFramingFields() {
        var d = ConnectionDriver()
        d.send(get)
        d.respond(
            Response(
                status: .ok, headers: HTTPFields([("Content-Length", "999"), ("X-Evil", "a\r\nSet-Cookie: b")]),
                body: Array("hi".utf8)))
        d.drainOutput()
        #expect(d.sent.contains("Content-Length: 2\r\n"))
        #expect(!d.sent.contains("999"))
        #expect(d.sent.contains("X-Evil: a  Set-Cookie: b\r\n"))
        #expect(d.sent.contains("\r\nDate: \(ConnectionDriver.date)\r\n"))
        #expect(d.sent.contains("\r\nServer: taskhookd\r\n"))
    }

    @Test func theDateHeaderIsAnIMFFixdateFormattedOncePerSecond() {
        var date = HTTPDate()
        #expect(date.text(unixSeconds: 0) == "Thu, 01 Jan 1970 00:00:00 GMT")
        #expect(date.text(unixSeconds: 1_796_137_200) == "Tue, 01 Dec 2026 15:00:00 GMT")
        #expect(date.text(unixSeconds: 1_796_137_200) == "Tue, 01 Dec 2026 15:00:00 GMT")
        #expect(date.text(unixSeconds: 1_796_137_209) == "Tue, 01 Dec 2026 15:00:09 GMT")
    }

    // MARK: Issue 14: lingering close, the first header's deadline, HEAD of a stream

    @Test func afterAnErrorAnswerTheServerShutsDownItsSideAndDropsInputUntilThePeerCloses() {
        var d = ConnectionDriver()
        d.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n")
        #expect(d.state.wantsWriteShutdown == false)  // the 400 is not sent yet
        d.drainOutput()
        #expect(d.sent.hasPrefix("HTTP/1.1 400 Bad Request\r\n"))
        // Not closed (a close with unread input sends RST, which can destroy the 400): lingering.
        #expect(d.state.isLingering)
        #expect(!d.state.isDone)
        #expect(d.state.wantsRead)
        d.send(String(repeating: "x", count: 100_000))
        #expect(d.requests.isEmpty)
        #expect(d.state.pendingOutputCount == 0)
        d.eof()
        #expect(d.state.isDone)
    }

    @Test func aPeerThatNeitherReadsNorClosesIsDroppedAfterTheLingerTimeout() {
        var d = ConnectionDriver()
        d.send("GET / HTTP/1.1\r\n\r\n")  // no Host: 400
        d.drainOutput()
        #expect(d.state.isLingering)
        d.advance(.seconds(4))
        #expect(!d.state.isDone)
        d.advance(.seconds(2))
        #expect(d.state.isDone)
    }

    @Test func aNewConnectionsHeaderTimeCountsFromTheAcceptNotItsFirstByte() {
        var d = ConnectionDriver()
        d.advance(.seconds(9))
        d.send("GET / HTTP/1.1\r\nHo")
        d.advance(.milliseconds(1500))
        d.drainOutput()
        #expect(d.sent.hasPrefix("HTTP/1.1 408 Request Timeout\r\n"))
    }

    @Test func aKeepAliveRequestsHeaderTimeCountsFromItsFirstByte() {
        var d = ConnectionDriver()
        d.send(get)
        d.respond(.text(.ok, "x"))
        d.drainOutput()
        d.advance(.seconds(30))
        d.send("GET / HTTP/1.1\r\nHo")
        d.advance(.seconds(9))
        #expect(d.state.pendingOutputCount == 0)
        d.advance(.seconds(2))
        d.drainOutput()
        #expect(d.sent.contains("HTTP/1.1 408"))
    }

    @Test func headOfAStreamedAnswerGetsTheHeadAloneAndEnds() {
        var d = ConnectionDriver()
        d.send("HEAD /v1/events HTTP/1.1\r\nHost: x\r\n\r\n")
        d.state.startStream(
            Response(
                status: .ok, headers: HTTPFields([("Content-Type", "text/event-stream")]), body: Array(": hi\n\n".utf8)),
            now: d.now)
        #expect(!d.state.isStreaming)
        d.state.stream(Array("id: 1\n\n".utf8), now: d.now)
        d.drainOutput()
        #expect(d.sent.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(d.sent.hasSuffix("\r\n\r\n"))
        #expect(d.closed)
    }

    @Test func onlyAConnectionWithNothingToDoIsIdle() {
        var d = ConnectionDriver()
        #expect(d.state.idleSince == d.now)
        d.send("GET / HTTP/1.1\r\n")
        #expect(d.state.idleSince == nil)
        d.send("Host: x\r\n\r\n")
        #expect(d.state.idleSince == nil)  // being answered
        d.respond(.text(.ok, "x"))
        #expect(d.state.idleSince == nil)  // its answer is not sent yet
        d.drainOutput()
        #expect(d.state.idleSince == d.now)
    }
}

extension String {
    func components(_ separator: String) -> Int {
        split(separator: separator, omittingEmptySubsequences: false).count - 1
    }

}
