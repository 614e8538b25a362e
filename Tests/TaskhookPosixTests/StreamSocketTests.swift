import Glibc
import TestSupport
import Testing

@testable import TaskhookPosix

@Suite struct StreamSocketTests {
    @Test func aConnectWithATimeoutThenBlocksAsUsual() throws {
        let listener = try ListeningSocket(binding: .ipv4(address: "127.0.0.1", port: 0))
        defer { listener.close() }
        let client = try StreamSocket.connect(to: listener.address, timeout: .seconds(5))
        defer { client.close() }
        let server = try #require(try Self.accept(listener))
        defer { server.close() }
        // The send timeout that bounded the connect is cleared again, so writes block as before.
        var value = timeval(tv_sec: 99, tv_usec: 99)
        var length = socklen_t(MemoryLayout<timeval>.size)
        #expect(getsockopt(client.descriptor.rawValue, SOL_SOCKET, SO_SNDTIMEO, &value, &length) == 0)
        #expect(value.tv_sec == 0 && value.tv_usec == 0)
        try client.writeAll(Array("ping".utf8))
        #expect(try server.poll(events: Int16(POLLIN), timeoutMilliseconds: 5000))
    }

    @Test(.timeLimit(.minutes(1)), arguments: ["tcp", "unix"])
    func aConnectThatIsNeverAcceptedTimesOut(kind: String) throws {
        let address: SocketAddress =
            kind == "tcp"
            ? .ipv4(address: "127.0.0.1", port: 0) : .unix(path: DaemonProcess.temporaryDirectory() + "/full.sock")
        // Backlog 0 and never accepted: once the queue is full, the kernel drops further SYNs
        // (TCP) or makes connect wait (Unix).
        let listener = try ListeningSocket(binding: address, backlog: 0)
        defer { listener.close() }
        var connected: [StreamSocket] = []
        defer { for socket in connected { socket.close() } }
        for _ in 0..<16 {
            let started = ContinuousClock.now
            do {
                connected.append(try StreamSocket.connect(to: listener.address, timeout: .milliseconds(300)))
            } catch {
                #expect(error.errno == .timedOut)
                let waited = ContinuousClock.now - started
                #expect(waited >= .milliseconds(250) && waited < .seconds(5))
                return
            }
        }
        Issue.record("16 connections to a full backlog all succeeded")
    }

    @Test func aUnixPathTooLongForSockaddrIsRefusedNotCutShort() throws {
        let directory = DaemonProcess.temporaryDirectory()
        let longest =
            directory + "/"
            + String(repeating: "a", count: SocketAddress.maximumUnixPathBytes - directory.utf8.count - 1)
        #expect(longest.utf8.count == 107)
        let listener = try ListeningSocket(binding: .unix(path: longest))
        defer { listener.close() }
        #expect(listener.address == .unix(path: longest))
        try StreamSocket.connect(to: listener.address).close()

        let tooLong = longest + "b"
        do {
            _ = try ListeningSocket(binding: .unix(path: tooLong))
            Issue.record("bound a path sockaddr_un cannot hold")
        } catch {
            #expect(error.errno == .fileNameTooLong)
        }
        do {
            _ = try StreamSocket.connect(to: .unix(path: tooLong))
            Issue.record("connected to a path sockaddr_un cannot hold")
        } catch {
            #expect(error.errno == .fileNameTooLong)
        }
    }

    @Test func closingAnAdoptedUnixListenerLeavesItsFileToItsOwner() throws {
        let path = DaemonProcess.temporaryDirectory() + "/passed.sock"
        let bound = try ListeningSocket(binding: .unix(path: path))
        let adopted = try ListeningSocket(adopting: dup(bound.descriptor.rawValue))
        adopted.close()
        #expect(FileSystem.exists(path))  // as systemd's socket unit would still need it
        bound.close()
        #expect(!FileSystem.exists(path))
    }

    static func accept(_ listener: ListeningSocket) throws -> StreamSocket? {
        for _ in 0..<100 {
            if case .done(let socket) = try listener.accept() { return socket }
            usleep(10_000)
        }
        return nil
    }

}
