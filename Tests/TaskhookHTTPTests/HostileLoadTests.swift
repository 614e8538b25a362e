import TaskhookHTTP
import TaskhookPosix
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Issue 14, "Load and abuse": what a hostile or merely numerous client must not be able to do
/// to the server, over real loopback sockets.
@Suite struct HostileLoadTests {
    let loopback = SocketAddress.ipv4(address: "127.0.0.1", port: 0)

    func server(
        names: [String], budgets: [String: Int], maxBufferedBodyBytes: Int = 64 << 20
    ) throws -> ServerHarness {
        var configuration = HTTPServer.Configuration()
        configuration.maxBufferedBodyBytes = maxBufferedBodyBytes
        return try ServerHarness(
            configuration: configuration, listen: names.map { _ in loopback }, names: names, budgets: budgets
        ) { TestRoutes(loop: $0, disconnects: Locked(0)) }
    }

    func ok(_ address: SocketAddress, path: String = "/x") throws -> Int {
        let client = try TestClient(address)
        try client.send("GET \(path) HTTP/1.1\r\nHost: x\r\n\r\n")
        return try client.readResponse(timeout: .seconds(2)).status
    }

    @Test func aListenerFullOfLongPollsDoesNotShutOutAnotherListener() throws {
        let harness = try server(names: ["public", "control"], budgets: ["public": 4, "control": 8])
        defer { harness.stop() }
        let (web, control) = (harness.addresses[0], harness.addresses[1])
        var waiters: [TestClient] = []
        for _ in 0..<8 {
            let waiter = try TestClient(control)
            try waiter.send("GET /hold HTTP/1.1\r\nHost: x\r\n\r\n")
            waiters.append(waiter)
        }
        usleep(100_000)
        // The control listener's budget is spent by busy waiters: only it says 503.
        let refused = try TestClient(control)
        #expect(try refused.readResponse(timeout: .seconds(2)).status == 503)
        #expect(try ok(web) == 200)
    }

    @Test func idleKeepAliveConnectionsMakeRoomForANewOneOldestFirst() throws {
        let harness = try server(names: ["public"], budgets: ["public": 3])
        defer { harness.stop() }
        var idle: [TestClient] = []
        for _ in 0..<3 {
            let client = try TestClient(harness.address)
            try client.send("GET /x HTTP/1.1\r\nHost: x\r\n\r\n")
            _ = try client.readResponse()
            idle.append(client)
            usleep(20_000)
        }
        #expect(try ok(harness.address) == 200)
        // The one idle longest was closed for it, the others kept.
        #expect(idle[0].closedByPeer(within: .seconds(1)))
        try idle[2].send("GET /again HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try idle[2].readResponse().status == 200)
    }

    @Test func connectionsThatNeverSentAnythingAreIdleToo() throws {
        let harness = try server(names: ["public"], budgets: ["public": 50])
        defer { harness.stop() }
        let silent = try (0..<50).map { _ in try TestClient(harness.address) }
        usleep(100_000)
        #expect(try ok(harness.address) == 200)
        #expect(silent[0].closedByPeer(within: .seconds(1)))
    }

    @Test func bodiesBeyondTheMemoryBudgetAreRefused503BeforeTheyAreRead() throws {
        let harness = try server(names: ["public"], budgets: [:], maxBufferedBodyBytes: 1000)
        defer { harness.stop() }
        // 600 of the 1000 bytes held by a body still arriving.
        let slow = try TestClient(harness.address)
        try slow.send("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 600\r\n\r\nabc")
        usleep(100_000)
        let second = try TestClient(harness.address)
        try second.send("POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 600\r\n\r\n")
        let refused = try second.readResponse(timeout: .seconds(2))
        #expect(refused.status == 503)
        #expect(refused.header("Retry-After") == "1")
        // A body that fits is read; once the slow one is answered its share is free again.
        let small = try TestClient(harness.address)
        try small.send("POST /c HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello")
        #expect(try small.readResponse(timeout: .seconds(2)).status == 200)
        try slow.send(String(repeating: "x", count: 597))
        #expect(try slow.readResponse(timeout: .seconds(2)).status == 200)
        let third = try TestClient(harness.address)
        try third.send(
            "POST /d HTTP/1.1\r\nHost: x\r\nContent-Length: 600\r\n\r\n" + String(repeating: "y", count: 600))
        #expect(try third.readResponse(timeout: .seconds(2)).status == 200)
    }

    @Test func pipelinedBodiesAnsweredLaterGiveTheirMemoryBack() throws {
        let harness = try server(names: ["public"], budgets: [:], maxBufferedBodyBytes: 1000)
        defer { harness.stop() }
        // Each answer goes out after the handler returns, and it is what starts the next
        // pipelined request: its body's share must replace the previous one's, not add to it.
        let body = String(repeating: "p", count: 300)
        let client = try TestClient(harness.address)
        try client.send(
            String(repeating: "POST /later?ms=5 HTTP/1.1\r\nHost: x\r\nContent-Length: 300\r\n\r\n" + body, count: 4))
        for _ in 0..<4 { #expect(try client.readResponse(timeout: .seconds(2)).status == 200) }
        let large = try TestClient(harness.address)
        try large.send(
            "POST /d HTTP/1.1\r\nHost: x\r\nContent-Length: 900\r\n\r\n" + String(repeating: "y", count: 900))
        #expect(try large.readResponse(timeout: .seconds(2)).status == 200)
    }
}
