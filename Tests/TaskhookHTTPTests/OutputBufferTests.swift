import TestSupport
import Testing

@testable import TaskhookHTTP
@testable import TaskhookPosix

@Suite struct OutputBufferTests {
    @Test func partialWritesOfAnySizeSendEveryByteOnceInOrder() {
        var random = SplitMix64(seed: 14)
        var buffer = OutputBuffer()
        var appended: [UInt8] = []
        var sent: [UInt8] = []
        for round in 0..<1_000 {
            // Answers of a few bytes to a few hundred KiB, taken by writes of 1 byte to 64 KiB;
            // each answer's bytes are its round's number, so any byte out of order shows.
            let size = Int(random.next() % (round % 100 == 0 ? 300_000 : 3_000))
            let piece = [UInt8](repeating: UInt8(truncatingIfNeeded: round), count: size)
            buffer.append(contentsOf: piece)
            appended += piece
            let write = min(buffer.count, 1 + Int(random.next() % 65_536))
            buffer.withUnsafeBytes { sent += $0.prefix(write) }
            buffer.removeFirst(write)
            #expect(buffer.count == appended.count - sent.count)
        }
        buffer.withUnsafeBytes { sent += $0 }
        buffer.removeFirst(buffer.count)
        #expect(sent == appended)
        #expect(buffer.isEmpty)
    }

    /// A slow reader of a large answer (an event stream's backlog) takes it a few KiB per write:
    /// cutting the sent bytes off per write moved the rest each time, 2 GiB for this 8 MiB.
    @Test func aLargeAnswerTakenInSmallWritesMovesEachByteAtMostOnce() {
        var buffer = OutputBuffer()
        let total = 8 << 20
        buffer.append(contentsOf: [UInt8](repeating: 0x61, count: total))
        var sent = 0
        while !buffer.isEmpty {
            let write = min(buffer.count, 4096)
            buffer.removeFirst(write)
            sent += write
        }
        #expect(sent == total)
        #expect(buffer.movedBytes <= total)
    }

    @Test func aStreamIsSentWholeThroughTheConnectionsPartialWrites() {
        var state = ConnectionState(
            limits: HTTPLimits(), now: Instant(nanoseconds: 1_000_000_000), date: { "Tue, 01 Dec 2026 14:00:00 GMT" })
        let now = Instant(nanoseconds: 1_000_000_000)
        let request = Array("GET /e HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
        guard case .head = request.withUnsafeBytes({ state.received($0, now: now) }) else {
            Issue.record("the request was not read")
            return
        }
        guard case .request = state.decide(.readBody, now: now) else {
            Issue.record("the request was not complete")
            return
        }
        state.startStream(Response(status: .ok, body: Array("start\n".utf8)), now: now)
        var expected = "start\n"
        var received: [UInt8] = []
        for index in 0..<2_000 {
            let event = "event \(index)\n" + String(repeating: "x", count: index % 700) + "\n"
            state.stream(Array(event.utf8), now: now)
            expected += event
            // The reader takes a third of what waits, as a slow socket would.
            let write = max(1, state.pendingOutputCount / 3)
            state.withPendingOutput { received += $0.prefix(write) }
            _ = state.wrote(write, now: now)
        }
        state.withPendingOutput { received += $0 }
        _ = state.wrote(state.pendingOutputCount, now: now)
        let text = String(decoding: received, as: UTF8.self)
        #expect(text.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(text.hasSuffix("\r\n\r\n" + expected))
    }
}
