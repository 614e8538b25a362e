import TaskhookHTTP
import TaskhookPosix
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The server over real loopback sockets, in this process, with short limits.
@Suite struct HTTPServerTests {
    func harness(
        limits: HTTPLimits = HTTPLimits(), maxConnections: Int = 4096, maxBufferedBodyBytes: Int = 64 << 20,
        listen: [SocketAddress] = [.ipv4(address: "127.0.0.1", port: 0)], disconnects: Locked<Int> = Locked(0)
    ) throws -> ServerHarness {
        var configuration = HTTPServer.Configuration()
        configuration.limits = limits
        configuration.maxConnections = maxConnections
        configuration.maxBufferedBodyBytes = maxBufferedBodyBytes
        return try ServerHarness(configuration: configuration, listen: listen) {
            TestRoutes(loop: $0, disconnects: disconnects)
        }
    }

    @Test func aSlowClientIsTimedOutWhileOthersAreServed() throws {
        var limits = HTTPLimits()
        limits.headerTimeout = .seconds(1)
        let server = try harness(limits: limits)
        defer { server.stop() }
        let slow = try TestClient(server.address)
        let slowResult = Locked<TestResponse?>(nil)
        // A byte every 100 ms: never a complete head within the 1 s header timeout.
        let trickle = Thread {
            let request = Array(
                "GET /slow HTTP/1.1\r\nHost: x\r\nX-Padding: \(String(repeating: "a", count: 100))\r\n\r\n".utf8)
            for byte in request {
                if (try? slow.send([byte])) == nil { break }
                usleep(100_000)
                if let response = try? slow.readResponse(timeout: .milliseconds(1)) {
                    slowResult.withLock { $0 = response }
                    break
                }
            }
        }
        trickle.start()
        for i in 0..<20 {
            let client = try TestClient(server.address)
            let started = Instant.now()
            try client.send("GET /fast\(i) HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try client.readResponse().status == 200)
            #expect(Instant.now() - started < Duration.milliseconds(500))
            usleep(50_000)
        }
        trickle.join()
        let response = slowResult.value
        #expect(response?.status == 408)
        #expect(response?.header("Connection") == "close")
    }

    @Test func aHandlerMayAnswerLaterWhileOtherConnectionsAreServed() throws {
        let server = try harness()
        defer { server.stop() }
        let waiting = try TestClient(server.address)
        try waiting.send("GET /later?ms=300 HTTP/1.1\r\nHost: x\r\n\r\n")
        let other = try TestClient(server.address)
        try other.send("GET /now HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try other.readResponse(timeout: .milliseconds(200)).text == "/now \n")
        let started = Instant.now()
        #expect(try waiting.readResponse().text == "later\n")
        #expect(Instant.now() - started > Duration.milliseconds(100))
    }

    /// A long stream's producer sends a piece each time its client has taken most of the last
    /// (`whenDrained`), so a client that stops reading holds the server to a few pieces, and
    /// others are answered meanwhile; once it reads again, it gets every piece in order.
    @Test func aStreamIsProducedAsItsClientDrainsItWhileOthersAreServed() throws {
        let mostPending = Locked(0)
        let server = try ServerHarness {
            TestRoutes(loop: $0, disconnects: Locked(0), mostStreamPending: mostPending)
        }
        defer { server.stop() }
        let reader = try TestClient(server.address)
        try reader.send("GET /stream?pieces=600 HTTP/1.1\r\nHost: x\r\n\r\n")
        // 9.6 MiB is more than the loopback socket buffers hold: the producer must wait.
        usleep(200_000)
        let other = try TestClient(server.address)
        try other.send("GET /now HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try other.readResponse(timeout: .seconds(2)).text == "/now \n")
        let (text, end) = reader.readToEnd(timeout: .seconds(30))
        #expect(end == .orderly)
        let body = text.split(separator: "\r\n\r\n", maxSplits: 1).last.map(String.init) ?? ""
        let labels = body.split(separator: "\n").filter { $0.hasPrefix("piece ") }
        #expect(labels.map(String.init) == (0..<600).map { "piece \($0)" })
        #expect(body.utf8.count == 600 * 16 * 1024)
        #expect(mostPending.value < 48 * 1024)
    }

    @Test func aClientThatHalfClosesWhileItWaitsDoesNotSpinTheLoop() throws {
        let server = try harness()
        defer { server.stop() }
        let client = try TestClient(server.address)
        try client.send("GET /later?ms=300 HTTP/1.1\r\nHost: x\r\n\r\n")
        usleep(20_000)
        let before = server.iterations.value
        // Its FIN is read at once; after that nothing is wanted from the socket until the answer.
        client.socket.shutdownWrite()
        #expect(try client.readResponse().text == "later\n")
        // A handful: the FIN, the timer, the answer. A level-triggered hang-up left armed woke the
        // loop continuously (thousands of times in 300 ms).
        #expect(server.iterations.value - before < 50)
    }

    @Test func aClientThatResetsAfterHalfClosingIsNoticedWithoutReading() throws {
        let disconnects = Locked(0)
        let server = try harness(disconnects: disconnects)
        defer { server.stop() }
        let client = try TestClient(server.address)
        try client.send("GET /hold HTTP/1.1\r\nHost: x\r\n\r\n")
        client.socket.shutdownWrite()  // from here the server wants nothing from this socket
        usleep(50_000)
        let before = server.iterations.value
        client.reset()  // the hang-up and error epoll reports whatever was asked for
        let deadline = Instant.now() + .seconds(2)
        while disconnects.value < 1, Instant.now() < deadline { usleep(10_000) }
        #expect(disconnects.value == 1)
        usleep(100_000)
        #expect(server.iterations.value - before < 50)
    }

    @Test func aHandlerLearnsWhenItsClientWentAway() throws {
        let disconnects = Locked(0)
        let server = try harness(disconnects: disconnects)
        defer { server.stop() }
        for _ in 0..<5 {
            let client = try TestClient(server.address)
            try client.send("GET /hold HTTP/1.1\r\nHost: x\r\n\r\n")
            usleep(20_000)
            client.reset()
        }
        let deadline = Instant.now() + .seconds(5)
        while disconnects.value < 5, Instant.now() < deadline { usleep(10_000) }
        #expect(disconnects.value == 5)
    }

    @Test func connectionsBeyondTheLimitWithNoneIdleAreAnswered503AndClosed() throws {
        let server = try harness(maxConnections: 3)
        defer { server.stop() }
        var held: [TestClient] = []
        for _ in 0..<3 {
            // Requests being answered (long-polls): busy, so none can make room.
            let client = try TestClient(server.address)
            try client.send("GET /hold HTTP/1.1\r\nHost: x\r\n\r\n")
            held.append(client)
        }
        usleep(100_000)
        let extra = try TestClient(server.address)
        let refused = try extra.readResponse()
        #expect(refused.status == 503)
        #expect(refused.header("Connection") == "close")
        #expect(extra.closedByPeer(within: .seconds(2)))
        held.removeLast().reset()  // a waiter gone: its slot is free again
        usleep(100_000)
        let again = try TestClient(server.address)
        try again.send("GET /x HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try again.readResponse().status == 200)
    }

    @Test func resetsInTheMiddleOfRequestsLeaveTheServerServing() throws {
        let server = try harness()
        defer { server.stop() }
        for i in 0..<50 {
            let client = try TestClient(server.address)
            switch i % 3 {
            case 0: try client.send("GET /x HTTP/1.1\r\nHo")
            case 1: try client.send("POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc")
            default: try client.send("GET /hold HTTP/1.1\r\nHost: x\r\n\r\n")
            }
            client.reset()
        }
        let client = try TestClient(server.address)
        try client.send("GET /alive HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try client.readResponse().status == 200)
    }

    @Test func aThousandPipelinedRequestsAreAnsweredInOrder() throws {
        let server = try harness()
        defer { server.stop() }
        let client = try TestClient(server.address)
        let writer = Thread {
            var batch = ""
            for i in 0..<1000 { batch += "GET /p\(i) HTTP/1.1\r\nHost: x\r\n\r\n" }
            try! client.send(batch)
        }
        writer.start()
        for i in 0..<1000 {
            #expect(try client.readResponse().text == "/p\(i) \n")
        }
        writer.join()
    }

    @Test func bodiesArriveWholeWhateverTheirFraming() throws {
        let server = try harness()
        defer { server.stop() }
        let client = try TestClient(server.address)
        try client.send("POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello")
        #expect(try client.readResponse().text == "/b hello\n")
        try client.send(
            "POST /b HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nhel\r\n2\r\nlo\r\n0\r\nT: v\r\n\r\n"
        )
        #expect(try client.readResponse().text == "/b hello\n")
        try client.send("POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n")
        #expect(try client.readResponse().status == 100)
        try client.send("ok")
        #expect(try client.readResponse().text == "/b ok\n")
    }

    @Test func anEarlyAnswerSkipsTheBodyAndKeepsTheConnection() throws {
        let server = try harness()
        defer { server.stop() }
        let client = try TestClient(server.address)
        let hidden = "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"
        try client.send("POST /missing HTTP/1.1\r\nHost: x\r\nContent-Length: \(hidden.utf8.count)\r\n\r\n\(hidden)")
        try client.send("GET /next HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try client.readResponse().status == 404)
        #expect(try client.readResponse().text == "/next \n")
    }

    @Test func tooLargeBodiesAreRefusedBeforeTheyAreRead() throws {
        var limits = HTTPLimits()
        limits.maxBodyBytes = 1000
        let server = try harness(limits: limits)
        defer { server.stop() }
        let client = try TestClient(server.address)
        try client.send("POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 1001\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 413)
        #expect(client.closedByPeer(within: .seconds(2)))
    }

    @Test func unixAndIPv6ListenersServeToo() throws {
        let path = "/tmp/taskhook-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).sock"
        let server = try harness(listen: [SocketAddress.unix(path: path), .ipv6(address: "::1", port: 0)])
        for address in server.addresses {
            let client = try TestClient(address)
            try client.send("GET /u HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try client.readResponse().text == "/u \n")
        }
        server.stop()
        #expect(access(path, F_OK) != 0)  // the socket file is removed on stop
    }

    @Test func drainingAnswersTheRequestInFlightWithCloseAndStopsAccepting() throws {
        let server = try harness()
        let inFlight = try TestClient(server.address)
        try inFlight.send("GET /later?ms=300 HTTP/1.1\r\nHost: x\r\n\r\n")
        let idle = try TestClient(server.address)
        try idle.send("GET /x HTTP/1.1\r\nHost: x\r\n\r\n")
        _ = try idle.readResponse()
        usleep(50_000)
        let stopper = Thread { server.stop() }
        stopper.start()
        let response = try inFlight.readResponse()
        #expect(response.status == 200)
        #expect(response.header("Connection") == "close")
        #expect(idle.closedByPeer(within: .seconds(2)))
        stopper.join()
        #expect(throws: (any Error).self) { try TestClient(server.address) }
    }
}
