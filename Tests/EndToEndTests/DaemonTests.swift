import Foundation
import TaskhookPosix
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The built taskhookd, started as a process and spoken to over loopback.
@Suite struct DaemonTests {
    @Test func servesHealthzOverKeepAlive() throws {
        let daemon = try DaemonProcess()
        let client = try TestClient(daemon.address)
        for _ in 0..<10 {
            try client.send("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
            let response = try client.readResponse()
            #expect(response.status == 200)
            #expect(response.text == "ok\n")
            #expect(response.header("Connection") == nil)
        }
    }

    @Test func answersPipelinedRequestsInOrder() throws {
        let daemon = try DaemonProcess(arguments: ["--discard", "/bench"])
        let client = try TestClient(daemon.address)
        var batch = ""
        for i in 0..<200 {
            batch +=
                i % 2 == 0
                ? "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
                : "POST /bench HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}"
        }
        try client.send(batch)
        for i in 0..<200 {
            let response = try client.readResponse()
            #expect(response.status == 200)
            #expect(response.body.count == (i % 2 == 0 ? 3 : 0))
        }
    }

    @Test func serves500ConcurrentConnections() throws {
        let daemon = try DaemonProcess()
        var clients: [TestClient] = []
        for _ in 0..<500 { clients.append(try TestClient(daemon.address)) }
        for client in clients { try client.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n") }
        var ok = 0
        for client in clients where try client.readResponse().status == 200 { ok += 1 }
        #expect(ok == 500)
        for client in clients { client.close() }
    }

    @Test func aClientThatNeverReadsCannotGrowTheDaemonsMemory() throws {
        let daemon = try DaemonProcess()
        _ = try healthCheck(daemon.address)
        let before = try #require(daemon.residentKiB())
        let greedy = try TestClient(daemon.address)
        let request = Array("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
        // Up to 2,000,000 pipelined requests (68 MB) and not one byte of the answers read back:
        // the sender blocks once the kernel's buffers and the daemon's bounded ones are full.
        let sent = Locked(0)
        let finished = Locked(false)
        let writer = Thread {
            let batch = Array([[UInt8]](repeating: request, count: 1000).joined())
            for _ in 0..<2000 {
                guard (try? greedy.socket.poll(events: Int16(POLLOUT), timeoutMilliseconds: 1000)) == true,
                    (try? greedy.send(batch)) != nil
                else { break }
                sent.withLock { $0 += 1 }
            }
            finished.withLock { $0 = true }
        }
        writer.start()
        let deadline = Instant.now() + .seconds(30)
        while !finished.value, Instant.now() < deadline { usleep(50_000) }
        let during = try #require(daemon.residentKiB())
        #expect(sent.value < 2000, "the daemon kept reading although its answers were not being taken")
        #expect(during - before < 8 * 1024, "RSS grew from \(before) KiB to \(during) KiB")
        // Others are still served meanwhile.
        #expect(try healthCheck(daemon.address) == 200)
        greedy.reset()
        writer.join()
    }

    @Test func abruptResetsLeaveNoDescriptorsBehind() throws {
        let daemon = try DaemonProcess(arguments: ["--discard", "/bench"])
        _ = try healthCheck(daemon.address)
        let baseline = daemon.openDescriptors()
        for i in 0..<200 {
            let client = try TestClient(daemon.address)
            switch i % 4 {
            case 0: try client.send("GET /healthz HTTP/1.1\r\nHo")
            case 1: try client.send("POST /bench HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{\"a\":")
            case 2: try client.send(String(repeating: "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", count: 50))
            default: break
            }
            client.reset()
        }
        let deadline = Instant.now() + .seconds(5)
        while daemon.openDescriptors() > baseline, Instant.now() < deadline { usleep(20_000) }
        #expect(daemon.openDescriptors() <= baseline)
        #expect(try healthCheck(daemon.address) == 200)
    }

    @Test func connectionsBeyondMaxConnectionsWithNoneIdleGet503() throws {
        let daemon = try DaemonProcess(arguments: ["--max-connections", "5"])
        var held: [TestClient] = []
        for _ in 0..<5 {
            // Each in the middle of a request: busy, so none can be closed to make room (an idle
            // keep-alive connection would be).
            let client = try TestClient(daemon.address)
            try client.send("GET /healthz HTTP/1.1\r\nHo")
            held.append(client)
        }
        usleep(100_000)
        let extra = try TestClient(daemon.address)
        #expect(try extra.readResponse().status == 503)
        usleep(100_000)
        #expect(daemon.waitForLog("connection limit reached"))
        for client in held { client.close() }
    }

    @Test func sigtermFinishesTheRequestInFlightThenExitsZero() throws {
        let daemon = try DaemonProcess(arguments: ["--discard", "/bench"])
        let idle = try TestClient(daemon.address)
        try idle.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        _ = try idle.readResponse()
        let uploading = try TestClient(daemon.address)
        try uploading.send("POST /bench HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n{\"a\":")
        usleep(100_000)
        daemon.signal(SIGTERM)
        #expect(idle.closedByPeer(within: .seconds(2)))
        // No new connections once stopping.
        usleep(100_000)
        #expect(throws: (any Error).self) { _ = try TestClient(daemon.address) }
        try uploading.send("\"b\"}    ")
        let response = try uploading.readResponse()
        #expect(response.status == 200)
        #expect(response.header("Connection") == "close")
        #expect(daemon.waitForExit() == 0)
        #expect(daemon.waitForLog("stopping"))
    }

    @Test func aRequestThatNeverCompletesIsCutOffAtTheDrainTimeout() throws {
        let daemon = try DaemonProcess(arguments: ["--discard", "/bench", "--drain-timeout", "1"])
        let stuck = try TestClient(daemon.address)
        try stuck.send("POST /bench HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n{")
        usleep(100_000)
        let started = Instant.now()
        daemon.signal(SIGINT)
        #expect(daemon.waitForExit(timeout: .seconds(5)) == 0)
        let took = Instant.now() - started
        #expect(took >= .milliseconds(900) && took < .seconds(3), "took \(took)")
    }

    @Test func anAddressInUseFailsTheStartWithAClearMessage() throws {
        let first = try DaemonProcess()
        let second = try ChildProcess.run(DaemonProcess.binary.path, ["--listen", first.address.description])
        #expect(second.status == 1)
        #expect(second.error.contains("cannot listen on \(first.address)"))
        #expect(second.error.contains("Address already in use") || second.error.contains("EADDRINUSE"))
    }

    @Test(arguments: [
        (["--listen", "localhost:80"], "not a numeric IPv4 or IPv6 address"),
        (["--drain-timeout", "1e20"], "--drain-timeout must be between 0 and 86400 seconds"),
        (["--drain-timeout=-1"], "--drain-timeout must be between 0 and 86400 seconds"),
        (["--journal-sync", "sometimes"], "--journal-sync must be always or none"),
        (["--max-connections", "0"], "--max-connections must be at least 1"),
    ])
    func aBadFlagIsAUsageErrorThatSaysWhy(arguments: [String], reason: String) throws {
        let run = try ChildProcess.run(DaemonProcess.binary.path, arguments)
        #expect(run.status == 64)
        #expect(run.error.contains(reason), "\(run.error)")
    }
}
