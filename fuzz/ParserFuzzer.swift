// libFuzzer harness for the HTTP/1.1 request parser (and, lightly, the connection state machine).
// Built and run by fuzz/run.sh; not part of the SwiftPM package (a SwiftPM executable cannot
// link libFuzzer's main), so it only uses the public API of TaskhookHTTP.
//
// Input format: two control bytes, then the bytes a client would send.
//   byte 0, bit 0    small limits (so the 414/431/413 paths are reachable within -max_len)
//   byte 0, bits 1-3 after the first split, feed the rest in pieces of 2^(v-1) bytes (0 = at once)
//   byte 1           where the first split falls, scaled to the payload length
// The control bytes are part of the input so libFuzzer mutates the split along with the request.
//
// What is checked (a violation traps, which libFuzzer reports as a crash):
//   - the parser never crashes, never stalls (events without progress), and returns ranges and
//     consumed counts inside the buffer it was given;
//   - parsing the payload in one piece and split as a connection receives it gives the same
//     normalized outcome: the same heads, body bytes, trailers, error status, unconsumed tail;
//   - ConnectionState fed the same split never crashes, and once the peer has closed and all
//     output is written, the connection is done (it cannot hang half-open).

import TaskhookHTTP
import TaskhookPosix

/// Everything a connection can observe, with body pieces merged so splits compare equal.
private struct Outcome: Equatable, CustomStringConvertible {
    enum Item: Equatable {
        case head(RequestHead)
        case body([UInt8])
        case end(trailers: HTTPFields)
    }

    var items: [Item] = []
    var errorStatus: Int?
    var errorReason = ""
    /// Bytes received but not consumed when the input ran out (only meaningful without error).
    var unconsumed = 0
    var betweenRequests = true

    static func == (a: Outcome, b: Outcome) -> Bool {
        // The reason text may legitimately name a different limit; the status is the contract.
        a.items == b.items && a.errorStatus == b.errorStatus
            && (a.errorStatus != nil || (a.unconsumed == b.unconsumed && a.betweenRequests == b.betweenRequests))
    }

    mutating func append(body bytes: ArraySlice<UInt8>) {
        if case .body(let previous) = items.last {
            items[items.count - 1] = .body(previous + bytes)
        } else {
            items.append(.body(Array(bytes)))
        }
    }

    var description: String {
        var lines = items.map { item -> String in
            switch item {
            case .head(let h):
                "head \(h.method) \(h.target) \(h.version) \(h.framing) keepAlive=\(h.keepAlive) "
                    + "continue=\(h.expectsContinue) fields=\(h.fields.map { "\($0.name)=\($0.value)" })"
            case .body(let b): "body \(b.count) bytes"
            case .end(let t): "end trailers=\(t.map { "\($0.name)=\($0.value)" })"
            }
        }
        if let errorStatus {
            lines.append("error \(errorStatus) \(errorReason)")
        } else {
            lines.append("unconsumed=\(unconsumed) betweenRequests=\(betweenRequests)")
        }
        return lines.joined(separator: "\n  ")
    }
}

private func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError(message()) }
}

/// Feeds `pieces` to one parser like a connection does: append to what is left, call `parse`
/// until it needs more, drop what it consumed.
private func run(_ pieces: [ArraySlice<UInt8>], limits: HTTPLimits) -> Outcome {
    var parser = RequestParser(limits: limits)
    var outcome = Outcome()
    var pending: [UInt8] = []
    let total = pieces.reduce(0) { $0 + $1.count }
    // Every event but `.end` after a bodiless head consumes at least one byte, so more events than
    // this means the parser is going round without making progress.
    var budget = 3 * total + 16
    for piece in pieces {
        pending.append(contentsOf: piece)
        while true {
            budget -= 1
            check(budget >= 0, "parser makes no progress on \(pending.count) pending bytes")
            let step: (event: RequestParser.Event, consumed: Int)
            do {
                step = try parser.parse(pending[...])
            } catch {
                outcome.errorStatus = error.status.code
                outcome.errorReason = error.reason
                return outcome  // a connection answers the error and closes
            }
            check(
                step.consumed >= 0 && step.consumed <= pending.count,
                "consumed \(step.consumed) of \(pending.count) bytes")
            switch step.event {
            case .needMore:
                break
            case .head(let head):
                outcome.items.append(.head(head))
            case .body(let range):
                check(
                    !range.isEmpty && range.lowerBound >= 0 && range.upperBound <= step.consumed,
                    "body range \(range) outside the \(step.consumed) consumed bytes")
                outcome.append(body: pending[range])
            case .end(let trailers):
                outcome.items.append(.end(trailers: trailers))
            }
            pending.removeFirst(step.consumed)
            if case .needMore = step.event { break }
        }
    }
    outcome.unconsumed = pending.count
    outcome.betweenRequests = parser.isBetweenRequests
    return outcome
}

/// Drives a ConnectionState with the pieces as socket reads, answering every request at once
/// (the head decision taken from the payload so both decisions are exercised).
private func runConnection(_ pieces: [ArraySlice<UInt8>], limits: HTTPLimits, respondEarly: Bool) {
    var now = Instant(nanoseconds: 1_000_000_000)
    var connection = ConnectionState(limits: limits, now: now, date: { "Tue, 01 Dec 2026 00:00:00 GMT" })
    var budget = 4 * pieces.reduce(0) { $0 + $1.count } + 64

    func handle(_ event: ConnectionState.Event?) {
        var queue = event.map { [$0] } ?? []
        while !queue.isEmpty {
            budget -= 1
            check(budget >= 0, "connection state produces events without end")
            let event = queue.removeFirst()
            now = now + .milliseconds(1)
            switch event {
            case .head(let head):
                let decision: HeadDecision =
                    respondEarly && head.method != "GET" ? .respond(.text(.notFound, "no route")) : .readBody
                if let next = connection.decide(decision, now: now) { queue.append(next) }
            case .request(let request):
                let body = Array("\(request.body.count) \(request.trailers.count)".utf8)
                if let next = connection.respond(Response(status: .ok, body: body), now: now) { queue.append(next) }
            }
            flush()
        }
    }

    func flush() {
        // Write in two steps so both the partial and the complete write paths run.
        let pending = connection.pendingOutputCount
        guard pending > 0 else { return }
        let first = connection.withPendingOutput { buffer -> Int in
            check(buffer.count == pending, "pending output \(buffer.count) != \(pending)")
            check(buffer.starts(with: "HTTP/1.1 ".utf8), "output does not start with a status line")
            return (pending + 1) / 2
        }
        handle(connection.wrote(first, now: now))
        handle(connection.wrote(connection.pendingOutputCount, now: now))
        check(connection.pendingOutputCount == 0, "output left after writing all of it")
    }

    for piece in pieces where !connection.isDone && connection.wantsRead {
        now = now + .milliseconds(1)
        let events = piece.withUnsafeBytes { connection.received($0, now: now) }
        handle(events)
        flush()
    }
    if !connection.isDone {
        handle(connection.receivedEOF(now: now))
        flush()
    }
    check(connection.isDone, "connection not done after EOF with all output written")
    // Timers must be harmless on a finished connection too.
    if let deadline = connection.deadline { connection.timeout(now: deadline) }
}

private let smallLimits: HTTPLimits = {
    var limits = HTTPLimits()
    limits.maxRequestLineBytes = 64
    limits.maxHeaderBytes = 512
    limits.maxHeaderCount = 8
    limits.maxBodyBytes = 256
    limits.maxChunkLineBytes = 32
    return limits
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data, size >= 2 else { return 0 }
    let input = UnsafeBufferPointer(start: data, count: size)
    let flags = input[0]
    let payload = Array(input[2...])
    let limits = flags & 1 == 1 ? smallLimits : HTTPLimits()

    // The split a connection might see: one cut anywhere, then the rest at once or in small reads.
    let cut = Int(input[1]) * payload.count / 255
    var pieces: [ArraySlice<UInt8>] = [payload[..<cut]]
    let stepBits = Int((flags >> 1) & 7)
    if stepBits == 0 {
        pieces.append(payload[cut...])
    } else {
        let step = 1 << (stepBits - 1)
        var start = cut
        while start < payload.count {
            let end = min(start + step, payload.count)
            pieces.append(payload[start..<end])
            start = end
        }
    }

    let whole = run([payload[...]], limits: limits)
    let split = run(pieces, limits: limits)
    check(
        whole == split,
        "outcome depends on the split (cut at \(cut), pieces of \(stepBits == 0 ? "rest" : "\(1 << (stepBits - 1))"))"
            + "\nwhole:\n  \(whole)\nsplit:\n  \(split)")

    runConnection(pieces, limits: limits, respondEarly: flags & 0x10 != 0)
    return 0
}
