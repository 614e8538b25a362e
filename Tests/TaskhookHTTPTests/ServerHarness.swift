import TaskhookHTTP
import TaskhookPosix
import TestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// An `HTTPServer` on its own event loop thread, listening on 127.0.0.1 port 0.
final class ServerHarness: @unchecked Sendable {
    private let published = Locked<[SocketAddress]?>(nil)
    private let stopSignal: EventFD
    private var thread: Thread!

    /// How many times the loop has gone round: a loop woken for nothing shows here.
    let iterations = Locked(0)
    var address: SocketAddress { addresses[0] }
    var addresses: [SocketAddress] { published.value! }

    /// `makeHandler` runs on the loop's thread and may keep the loop for answering later.
    init(
        configuration: HTTPServer.Configuration = HTTPServer.Configuration(),
        listen: [SocketAddress] = [.ipv4(address: "127.0.0.1", port: 0)],
        names: [String]? = nil, budgets: [String: Int] = [:],
        makeHandler: @escaping @Sendable (EventLoop) -> HTTPHandler
    ) throws {
        let names = names ?? listen.map { _ in "test" }
        stopSignal = try EventFD()
        let stopSignal = self.stopSignal
        let published = self.published
        let iterations = self.iterations
        thread = Thread {
            let loop = try! EventLoop()
            let server = HTTPServer(loop: loop, configuration: configuration)
            let handler = makeHandler(loop)
            loop.addIterationHook { iterations.withLock { $0 += 1 } }
            for (address, name) in zip(listen, names) {
                try! server.addListener(
                    ListeningSocket(binding: address), name: name, handler: handler, maxConnections: budgets[name])
            }
            _ = try! loop.register(stopSignal.rawValue, interest: .readable) { _ in
                stopSignal.drain()
                server.drain(deadline: loop.now + .seconds(1)) { loop.stop() }
            }
            published.withLock { $0 = server.listenerAddresses }
            try! loop.run()
        }
        thread.start()
        while published.value == nil { usleep(1000) }
    }

    func stop() {
        stopSignal.signal()
        thread.join()
    }
}

/// A handler for server tests: `/hold` is never answered (until the client goes away),
/// `/later?ms=N` is answered N ms later from a timer, `/stream?pieces=N` streams N pieces of
/// 16 KiB, each once fewer than 32 KiB wait for the client, anything else at once with the path.
final class TestRoutes: HTTPHandler {
    let loop: EventLoop
    let disconnects: Locked<Int>
    /// The most bytes a `/stream` answer ever had waiting for its client.
    let mostStreamPending: Locked<Int>

    init(loop: EventLoop, disconnects: Locked<Int>, mostStreamPending: Locked<Int> = Locked(0)) {
        self.loop = loop
        self.disconnects = disconnects
        self.mostStreamPending = mostStreamPending
    }

    func decide(_ head: RequestHead, connection: ConnectionInfo) -> HeadDecision {
        head.path == "/missing" ? .respond(.text(.notFound, "missing")) : .readBody
    }

    func handle(_ request: Request, connection: ConnectionInfo, responder: any Responder) {
        switch request.head.path {
        case "/hold":
            let disconnects = self.disconnects
            responder.onDisconnect = { disconnects.withLock { $0 += 1 } }
        case "/stream":
            stream(pieces: Int(request.head.query?.split(separator: "=").last ?? "0") ?? 0, to: responder)
        case "/later":
            let ms = Int64(request.head.query?.split(separator: "=").last ?? "0") ?? 0
            loop.schedule(at: loop.now + .milliseconds(ms)) { responder.respond(.text(.ok, "later")) }
        default:
            responder.respond(.text(.ok, request.head.path + " " + String(decoding: request.body, as: UTF8.self)))
        }
    }

    /// Piece `index` of a `/stream` answer: its number, then dots to 16 KiB.
    static func piece(_ index: Int) -> [UInt8] {
        let label = Array("piece \(index)\n".utf8)
        return label + [UInt8](repeating: UInt8(ascii: "."), count: 16 * 1024 - label.count - 1) + [10]
    }

    private func stream(pieces: Int, to responder: any Responder) {
        responder.startStream(Response(status: .ok))
        var sent = 0
        let mostPending = mostStreamPending
        func produce() {
            while sent < pieces, responder.pendingBytes < 32 * 1024 {
                responder.send(Self.piece(sent))
                sent += 1
                mostPending.withLock { $0 = max($0, responder.pendingBytes) }
            }
            guard sent < pieces else { return responder.finish() }
            responder.whenDrained(below: 32 * 1024) { produce() }
        }
        produce()
    }
}
