import TaskhookHTTP
import TestSupport
import Testing

/// A request as a connection sees it: the head, every body byte in order, the trailers.
struct ParsedRequest: Equatable, Sendable, CustomStringConvertible {
    var head: RequestHead
    var body: [UInt8]
    var trailers: HTTPFields

    var bodyText: String { String(decoding: body, as: UTF8.self) }

    var description: String {
        "\(head.method) \(head.target) \(head.version) \(head.framing) keepAlive=\(head.keepAlive) "
            + "fields=\(head.fields.map { "\($0.name): \($0.value)" }) body=\(body.count) bytes "
            + "trailers=\(trailers.map { "\($0.name): \($0.value)" })"
    }
}

/// What the parser made of a whole input.
enum ParseOutcome: Equatable, Sendable, CustomStringConvertible {
    /// The parser refused the input (possibly after earlier, complete requests).
    case error(status: Int, reason: String)
    /// Every complete request in order; `incomplete` when the input ended inside a request.
    case requests([ParsedRequest], incomplete: Bool)

    var status: Int? {
        if case .error(let status, _) = self { return status }
        return nil
    }

    var requests: [ParsedRequest] {
        if case .requests(let requests, _) = self { return requests }
        return []
    }

    var isIncomplete: Bool {
        if case .requests(_, let incomplete) = self { return incomplete }
        return false
    }

    /// Exactly one request, complete, nothing left over.
    var single: ParsedRequest? {
        if case .requests(let requests, false) = self, requests.count == 1 { return requests[0] }
        return nil
    }

    var description: String {
        switch self {
        case .error(let status, let reason): "error \(status) \(reason)"
        case .requests(let requests, let incomplete):
            "\(requests.count) request(s)\(incomplete ? " + incomplete" : ""): \(requests)"
        }
    }
}

/// Everything observable about one run, so runs over different splits can be compared whole:
/// also the request in progress, the bytes left unconsumed and the error after earlier requests.
struct ParseTrace: Equatable, Sendable, CustomStringConvertible {
    var requests: [ParsedRequest] = []
    /// A request whose head was returned but whose end was not.
    var partial: ParsedRequest?
    var error: HTTPParseError?
    var unconsumed = 0
    var isBetweenRequests = true
    /// The parser kept returning events without consuming input.
    var stalled = false

    var outcome: ParseOutcome {
        if let error { return .error(status: error.status.code, reason: error.reason) }
        return .requests(requests, incomplete: partial != nil || unconsumed > 0 || !isBetweenRequests || stalled)
    }

    var description: String {
        "\(outcome); partial=\(partial.map(\.description) ?? "none") unconsumed=\(unconsumed) "
            + "betweenRequests=\(isBetweenRequests) stalled=\(stalled) after \(requests.count) request(s)"
    }
}

/// Feeds a `RequestParser` the way a connection does: it keeps the unconsumed bytes, appends
/// each piece as it "arrives", calls `parse` until `.needMore` and drops `consumed` bytes after
/// every call (also after `.needMore`). Body ranges are read from the buffer of that call.
struct ParserFeed {
    private(set) var parser: RequestParser
    private(set) var trace = ParseTrace()
    private var buffer: [UInt8] = []
    private let sourceLocation: SourceLocation

    init(_ parser: RequestParser, sourceLocation: SourceLocation) {
        self.parser = parser
        self.sourceLocation = sourceLocation
    }

    mutating func feed(_ piece: ArraySlice<UInt8>) {
        guard trace.error == nil, !trace.stalled else { return }
        buffer.append(contentsOf: piece)
        var start = 0
        // Events that consumed nothing in a row; only `.end` of a request without a body may.
        var idle = 0
        while true {
            if idle > 1 {
                Issue.record("the parser returns events without consuming input", sourceLocation: sourceLocation)
                trace.stalled = true
                break
            }
            let event: RequestParser.Event
            let consumed: Int
            do {
                (event, consumed) = try parser.parse(buffer[start...])
            } catch {
                trace.error = error
                break
            }
            guard consumed >= 0, consumed <= buffer.count - start else {
                Issue.record("consumed \(consumed) of \(buffer.count - start) bytes", sourceLocation: sourceLocation)
                trace.stalled = true
                break
            }
            switch event {
            case .needMore:
                start += consumed
            case .head(let head):
                check(trace.partial == nil, "a head before the previous request ended")
                check(parser.isReadingBody, "isReadingBody is false after a head")
                trace.partial = ParsedRequest(head: head, body: [], trailers: HTTPFields())
            case .body(let range):
                check(trace.partial != nil, "body bytes outside a request")
                if !range.isEmpty, range.lowerBound >= 0, range.upperBound <= consumed {
                    trace.partial?.body += buffer[(start + range.lowerBound)..<(start + range.upperBound)]
                } else {
                    check(false, "body range \(range) with \(consumed) bytes consumed")
                }
            case .end(let trailers):
                check(trace.partial != nil, "an end without a head")
                check(parser.isBetweenRequests, "isBetweenRequests is false after an end")
                if var request = trace.partial {
                    request.trailers = trailers
                    trace.requests.append(request)
                }
                trace.partial = nil
            }
            if case .needMore = event { break }
            idle = consumed == 0 ? idle + 1 : 0
            start += consumed
        }
        buffer.removeFirst(start)
        // After an error the connection closes; where the parser stopped within its input is
        // not reported, so it is not part of the trace.
        trace.unconsumed = trace.error == nil ? buffer.count : 0
        trace.isBetweenRequests = trace.error == nil ? parser.isBetweenRequests : true
    }

    /// A cheap `#expect` for the hot loop: a single test may check a million events.
    private func check(_ condition: Bool, _ message: @autoclosure () -> String) {
        if !condition { Issue.record(Comment(rawValue: message()), sourceLocation: sourceLocation) }
    }
}

enum ParserHarness {
    /// Inputs at most this long are tried at every split point; longer ones at a sample.
    static let everySplitLimit = 4 * 1024
    /// Inputs shorter than this are also fed one byte at a time.
    static let bytewiseLimit = 600

    static func makeParser(limits: HTTPLimits, methodsRequiringLength: Set<String>?) -> RequestParser {
        if let methodsRequiringLength {
            return RequestParser(limits: limits, methodsRequiringLength: methodsRequiringLength)
        }
        return RequestParser(limits: limits)
    }

    /// Feeds `input` cut at `cuts` (increasing offsets) to a fresh parser.
    static func trace(
        _ input: [UInt8], cuts: [Int] = [], limits: HTTPLimits = HTTPLimits(),
        methodsRequiringLength: Set<String>? = nil, sourceLocation: SourceLocation = #_sourceLocation
    ) -> ParseTrace {
        var feed = ParserFeed(
            makeParser(limits: limits, methodsRequiringLength: methodsRequiringLength), sourceLocation: sourceLocation)
        var from = 0
        for cut in cuts where cut > from && cut < input.count {
            feed.feed(input[from..<cut])
            from = cut
        }
        feed.feed(input[from...])
        return feed.trace
    }

    /// Feeds `input` one byte at a time.
    static func bytewiseTrace(
        _ input: [UInt8], limits: HTTPLimits = HTTPLimits(), methodsRequiringLength: Set<String>? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) -> ParseTrace {
        var feed = ParserFeed(
            makeParser(limits: limits, methodsRequiringLength: methodsRequiringLength), sourceLocation: sourceLocation)
        if input.isEmpty { feed.feed([]) }
        for i in input.indices { feed.feed(input[i...i]) }
        return feed.trace
    }

    /// The outcome of feeding `input` in one piece.
    static func outcome(
        _ input: [UInt8], limits: HTTPLimits = HTTPLimits(), methodsRequiringLength: Set<String>? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) -> ParseOutcome {
        trace(input, limits: limits, methodsRequiringLength: methodsRequiringLength, sourceLocation: sourceLocation)
            .outcome
    }

    /// The split points tried for `input`: all of them when it is short, else its ends, a
    /// regular stride and a fixed-seed random sample.
    static func splitPoints(for count: Int) -> [Int] {
        if count <= everySplitLimit { return Array(0...count) }
        var points = Set(0...128)
        points.formUnion((count - 128)...count)
        points.formUnion(stride(from: 0, through: count, by: max(1, count / 256)))
        var random = SplitMix64(seed: UInt64(count))
        for _ in 0..<128 { points.insert(Int(random.next() % UInt64(count + 1))) }
        return points.sorted()
    }

    /// Parses `input` whole, then split in two at every point (at `splits` if given, at a sample
    /// for long inputs), then cut at each of `cutSets`, then, when short, one byte at a time.
    /// Records an issue at the first run that differs in any way from the whole-input run, and
    /// returns the whole-input outcome.
    @discardableResult
    static func outcomeAtEverySplit(
        _ input: [UInt8], limits: HTTPLimits = HTTPLimits(), methodsRequiringLength: Set<String>? = nil,
        splits: [Int]? = nil, cutSets: [[Int]] = [], sourceLocation: SourceLocation = #_sourceLocation
    ) -> ParseOutcome {
        func run(_ cuts: [Int]) -> ParseTrace {
            trace(
                input, cuts: cuts, limits: limits, methodsRequiringLength: methodsRequiringLength,
                sourceLocation: sourceLocation)
        }
        let reference = run([])
        func matches(_ result: ParseTrace, _ name: @autoclosure () -> String) -> Bool {
            if result == reference { return true }
            Issue.record("\(name()) gives \(result)\nwhole input gives \(reference)", sourceLocation: sourceLocation)
            return false
        }
        for k in splits ?? splitPoints(for: input.count) {
            guard matches(run([k]), "split at \(k)") else { return reference.outcome }
        }
        for cuts in cutSets {
            guard matches(run(cuts), "cut at \(cuts.count) points") else { return reference.outcome }
        }
        if input.count < bytewiseLimit {
            let bytewise = bytewiseTrace(
                input, limits: limits, methodsRequiringLength: methodsRequiringLength, sourceLocation: sourceLocation)
            _ = matches(bytewise, "one byte at a time")
        }
        return reference.outcome
    }
}

/// The bytes of `text` as UTF-8, where `\xHH` (a backslash, x and two hex digits; `\\xHH` in a
/// Swift literal) stands for the single byte 0xHH, so raw non-UTF-8 bytes can be written inline.
func wire(_ text: String) -> [UInt8] {
    let utf8 = Array(text.utf8)
    var out: [UInt8] = []
    out.reserveCapacity(utf8.count)
    var i = 0
    while i < utf8.count {
        if utf8[i] == UInt8(ascii: "\\"), i + 3 < utf8.count, utf8[i + 1] == UInt8(ascii: "x"),
            let high = hexDigit(utf8[i + 2]), let low = hexDigit(utf8[i + 3])
        {
            out.append(high << 4 | low)
            i += 4
        } else {
            out.append(utf8[i])
            i += 1
        }
    }
    return out
}

private func hexDigit(_ b: UInt8) -> UInt8? {
    switch b {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): b - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): b - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): b - UInt8(ascii: "A") + 10
    default: nil
    }
}

extension HTTPLimits {
    /// Default limits with some changed, for tests of one limit.
    static func with(_ change: (inout HTTPLimits) -> Void) -> HTTPLimits {
        var limits = HTTPLimits()
        change(&limits)
        return limits
    }
}
