#if canImport(Glibc)
    import Glibc
#endif

/// An incremental HTTP/1.1 request parser in the manner of picohttpparser: a pure function of
/// the bytes it is given (no I/O, no clock), re-entrant on partial input, strict per RFC 9112.
///
/// The caller keeps the unconsumed input and calls `parse` again with more appended. Each call
/// returns one event and how many bytes of the input it consumed; those bytes must be dropped
/// before the next call. A line is looked at only once it is complete, so the sequence of
/// events (with body bytes concatenated) is the same for every way the input is split.
public struct RequestParser: Sendable {
    public enum Event: Equatable, Sendable {
        /// Nothing more can be decided until more bytes arrive.
        case needMore
        /// A complete, validated request head.
        case head(RequestHead)
        /// Body bytes (after chunked decoding) at this range of the input.
        case body(Range<Int>)
        /// The request is complete; the parser is ready for the next one.
        case end(trailers: HTTPFields)
    }

    private enum State: Sendable {
        case requestLine
        case fields
        case fixedBody(remaining: UInt64)
        case chunkSize
        case chunkData(remaining: UInt64)
        case chunkDataEnd
        case trailers
        case complete
    }

    public let limits: HTTPLimits
    /// Methods answered 411 when they carry neither Content-Length nor Transfer-Encoding.
    public let methodsRequiringLength: Set<String>

    private var state = State.requestLine
    /// Bytes at the start of the current line already known to hold no LF.
    private var scanned = 0
    /// Bytes of the header or trailer section read so far.
    private var sectionBytes = 0
    private var emptyLinesBeforeRequest = 0
    private var bodyBytes: UInt64 = 0
    private var method = ""
    private var target = ""
    private var version = HTTPVersion.http11
    private var fields = HTTPFields()

    public init(limits: HTTPLimits = HTTPLimits(), methodsRequiringLength: Set<String> = ["POST", "PUT", "PATCH"]) {
        self.limits = limits
        self.methodsRequiringLength = methodsRequiringLength
    }

    /// True between requests: no byte of a next request has been consumed.
    public var isBetweenRequests: Bool {
        if case .requestLine = state { return emptyLinesBeforeRequest == 0 }
        return false
    }

    /// True once the head has been returned and until the request's end.
    public var isReadingBody: Bool {
        switch state {
        case .fixedBody, .chunkSize, .chunkData, .chunkDataEnd, .trailers, .complete: true
        case .requestLine, .fields: false
        }
    }

    public mutating func parse(_ input: UnsafeBufferPointer<UInt8>) throws(HTTPParseError) -> (
        event: Event, consumed: Int
    ) {
        var consumed = 0
        while true {
            let rest = UnsafeBufferPointer(rebasing: input[consumed...])
            switch state {
            case .requestLine:
                // Fail fast on what cannot be HTTP (a TLS ClientHello, binary noise) instead of
                // waiting for a line end that may never come.
                if let first = rest.first, first != HTTPGrammar.cr, !HTTPGrammar.isTokenChar(first) {
                    throw .bad("request line must start with a method token")
                }
                guard let length = try nextLine(rest, limit: limits.maxRequestLineBytes, kind: .requestLine)
                else { return (.needMore, consumed) }
                consumed += length + 2
                if length == 0 {
                    // RFC 9112 §2.2: a server SHOULD ignore at least one empty line before a request.
                    emptyLinesBeforeRequest += 1
                    guard emptyLinesBeforeRequest <= 4 else {
                        throw .bad("too many empty lines before the request line")
                    }
                    continue
                }
                try parseRequestLine(UnsafeBufferPointer(rebasing: rest[..<length]))
                emptyLinesBeforeRequest = 0
                sectionBytes = 0
                fields = HTTPFields()
                state = .fields

            case .fields:
                guard let length = try nextSectionLine(rest) else { return (.needMore, consumed) }
                consumed += length + 2
                if length == 0 {
                    let head = try makeHead()
                    startBody(head.framing)
                    return (.head(head), consumed)
                }
                try parseFieldLine(UnsafeBufferPointer(rebasing: rest[..<length]))

            case .fixedBody(let remaining):
                guard !rest.isEmpty else { return (.needMore, consumed) }
                let n = Int(min(UInt64(rest.count), remaining))
                state = remaining == UInt64(n) ? .complete : .fixedBody(remaining: remaining - UInt64(n))
                return (.body(consumed..<consumed + n), consumed + n)

            case .chunkSize:
                guard let length = try nextLine(rest, limit: limits.maxChunkLineBytes, kind: .chunkSize)
                else { return (.needMore, consumed) }
                let size = try Self.parseChunkLine(UnsafeBufferPointer(rebasing: rest[..<length]))
                consumed += length + 2
                if size == 0 {
                    sectionBytes = 0
                    fields = HTTPFields()
                    state = .trailers
                    continue
                }
                guard size <= limits.maxBodyBytes, bodyBytes + size <= limits.maxBodyBytes else {
                    throw HTTPParseError(
                        .contentTooLarge, "chunked body exceeds the limit of \(limits.maxBodyBytes) bytes")
                }
                bodyBytes += size
                state = .chunkData(remaining: size)

            case .chunkData(let remaining):
                guard !rest.isEmpty else { return (.needMore, consumed) }
                let n = Int(min(UInt64(rest.count), remaining))
                state = remaining == UInt64(n) ? .chunkDataEnd : .chunkData(remaining: remaining - UInt64(n))
                return (.body(consumed..<consumed + n), consumed + n)

            case .chunkDataEnd:
                if rest.count >= 1, rest[0] != HTTPGrammar.cr { throw .bad("chunk data is not followed by CRLF") }
                guard rest.count >= 2 else { return (.needMore, consumed) }
                guard rest[1] == HTTPGrammar.lf else { throw .bad("chunk data is not followed by CRLF") }
                consumed += 2
                state = .chunkSize

            case .trailers:
                guard let length = try nextSectionLine(rest) else { return (.needMore, consumed) }
                consumed += length + 2
                if length == 0 {
                    let trailers = fields
                    reset()
                    return (.end(trailers: trailers), consumed)
                }
                try parseFieldLine(UnsafeBufferPointer(rebasing: rest[..<length]))
                let name = fields[fields.count - 1].name
                if Self.forbiddenTrailers.contains(name) {
                    throw .bad("trailer field \(name) is not allowed: it controls framing or routing")
                }

            case .complete:
                reset()
                return (.end(trailers: HTTPFields()), consumed)
            }
        }
    }

    /// Convenience for callers holding an array.
    public mutating func parse(_ bytes: ArraySlice<UInt8>) throws(HTTPParseError) -> (event: Event, consumed: Int) {
        let result = bytes.withUnsafeBufferPointer { buffer in
            Result { () throws(HTTPParseError) in try parse(buffer) }
        }
        return try result.get()
    }

    private mutating func reset() {
        state = .requestLine
        scanned = 0
        sectionBytes = 0
        bodyBytes = 0
        fields = HTTPFields()
    }

    private mutating func startBody(_ framing: BodyFraming) {
        bodyBytes = 0
        switch framing {
        case .none, .contentLength(0): state = .complete
        case .contentLength(let n): state = .fixedBody(remaining: n)
        case .chunked: state = .chunkSize
        }
    }

    // MARK: Lines

    private enum LineKind { case requestLine, chunkSize, section }

    private func tooLong(_ kind: LineKind, limit: Int) -> HTTPParseError {
        switch kind {
        case .requestLine: HTTPParseError(.uriTooLong, "request line exceeds the limit of \(limit) bytes")
        case .chunkSize: .bad("chunk size line exceeds the limit of \(limit) bytes")
        case .section:
            HTTPParseError(
                .requestHeaderFieldsTooLarge, "header section exceeds the limit of \(limits.maxHeaderBytes) bytes")
        }
    }

    /// The length of the next complete line (without its CRLF), or nil if it is not complete.
    /// Lines must end in CRLF: a bare LF or a CR not followed by LF is an error.
    private mutating func nextLine(
        _ rest: UnsafeBufferPointer<UInt8>, limit: Int, kind: LineKind
    ) throws(HTTPParseError) -> Int? {
        // Too long once more than `limit` bytes precede the LF, allowing a trailing CR as the first
        // half of the terminator. Judged the same whether or not the LF has arrived yet, so the
        // error does not depend on how the input was split.
        func exceedsLimit(_ count: Int) -> Bool {
            count > limit + 1 || (count == limit + 1 && rest[limit] != HTTPGrammar.cr)
        }
        let start = min(scanned, rest.count)
        let found =
            rest.count > start ? memchr(rest.baseAddress! + start, Int32(HTTPGrammar.lf), rest.count - start) : nil
        guard let found else {
            scanned = rest.count
            if exceedsLimit(rest.count) { throw tooLong(kind, limit: limit) }
            return nil
        }
        scanned = 0
        let lf = rest.baseAddress!.distance(to: found.assumingMemoryBound(to: UInt8.self))
        if exceedsLimit(lf) { throw tooLong(kind, limit: limit) }
        guard lf > 0, rest[lf - 1] == HTTPGrammar.cr else { throw .bad("line ends in a bare LF; CRLF is required") }
        let length = lf - 1
        if length > 0, memchr(rest.baseAddress!, Int32(HTTPGrammar.cr), length) != nil {
            throw .bad("bare CR in a line")
        }
        return length
    }

    /// The next line of a header or trailer section, counted against the section's limits.
    private mutating func nextSectionLine(_ rest: UnsafeBufferPointer<UInt8>) throws(HTTPParseError) -> Int? {
        let remaining = limits.maxHeaderBytes - sectionBytes
        guard let length = try nextLine(rest, limit: max(remaining - 2, 0), kind: .section)
        else { return nil }
        sectionBytes += length + 2
        return length
    }

    // MARK: Request line

    private mutating func parseRequestLine(_ line: UnsafeBufferPointer<UInt8>) throws(HTTPParseError) {
        let n = line.count
        var i = 0
        while i < n, HTTPGrammar.isTokenChar(line[i]) { i += 1 }
        guard i > 0 else { throw .bad("request line must start with a method token") }
        guard i < n else { throw .bad("request line has no request-target") }
        guard line[i] == HTTPGrammar.sp else { throw .bad("invalid character \(Self.hex(line[i])) in the method") }
        let methodEnd = i
        i += 1
        guard i < n, line[i] != HTTPGrammar.sp else {
            throw .bad("request line must separate its parts by exactly one space")
        }
        let targetStart = i
        while i < n, line[i] != HTTPGrammar.sp {
            let b = line[i]
            guard HTTPGrammar.isTargetChar(b) else {
                throw .bad("invalid character \(Self.hex(b)) in the request-target")
            }
            if b == UInt8(ascii: "%") {
                guard i + 2 < n, HTTPGrammar.hexValue(line[i + 1]) != nil, HTTPGrammar.hexValue(line[i + 2]) != nil
                else {
                    throw .bad("malformed percent-encoding in the request-target")
                }
            }
            i += 1
        }
        let targetEnd = i
        guard i < n else { throw .bad("request line has no HTTP version") }
        i += 1
        let versionBytes = UnsafeBufferPointer(rebasing: line[i...])
        version = try Self.parseVersion(versionBytes)
        method = String(decoding: UnsafeBufferPointer(rebasing: line[..<methodEnd]), as: UTF8.self)
        target = String(decoding: UnsafeBufferPointer(rebasing: line[targetStart..<targetEnd]), as: UTF8.self)
        try checkTargetForm()
    }

    private static func parseVersion(_ v: UnsafeBufferPointer<UInt8>) throws(HTTPParseError) -> HTTPVersion {
        if v.first == HTTPGrammar.sp { throw .bad("request line must separate its parts by exactly one space") }
        guard v.count == 8, v[0] == UInt8(ascii: "H"), v[1] == UInt8(ascii: "T"), v[2] == UInt8(ascii: "T"),
            v[3] == UInt8(ascii: "P"), v[4] == UInt8(ascii: "/"), HTTPGrammar.isDigit(v[5]), v[6] == UInt8(ascii: "."),
            HTTPGrammar.isDigit(v[7])
        else { throw .bad("malformed HTTP version; expected HTTP/1.1 or HTTP/1.0") }
        switch (v[5], v[7]) {
        case (UInt8(ascii: "1"), UInt8(ascii: "1")): return .http11
        case (UInt8(ascii: "1"), UInt8(ascii: "0")): return .http10
        default:
            throw HTTPParseError(
                .httpVersionNotSupported,
                "HTTP/\(Character(Unicode.Scalar(v[5]))).\(Character(Unicode.Scalar(v[7]))) is not supported; use HTTP/1.1"
            )
        }
    }

    private func checkTargetForm() throws(HTTPParseError) {
        if method == "CONNECT" {
            // RFC 9110 §9.3.6: CONNECT takes only uri-host ":" port, and both are required.
            let port = target.utf8.reversed().prefix { $0 != UInt8(ascii: ":") }
            guard !port.isEmpty, port.allSatisfy(HTTPGrammar.isDigit), port.count < target.utf8.count - 1,
                HTTPGrammar.isValidHost(target)
            else { throw .bad("CONNECT needs an authority-form request-target (host:port)") }
            return
        }
        if target.hasPrefix("/") { return }
        if target == "*" {
            guard method == "OPTIONS" else { throw .bad("asterisk-form request-target is only for OPTIONS") }
            return
        }
        let lower = target.lowercased()
        for scheme in ["http://", "https://"] where lower.hasPrefix(scheme) {
            let authority = target.dropFirst(scheme.count).prefix { $0 != "/" && $0 != "?" }
            guard !authority.isEmpty, !authority.contains("@"), HTTPGrammar.isValidHost(String(authority)) else {
                throw .bad("absolute-form request-target has an invalid authority")
            }
            return
        }
        throw .bad("request-target must be origin-form (/path) or an absolute http(s) URI")
    }

    // MARK: Field lines

    /// Appends the line's field to `fields`. Mutating rather than taking `&fields`: passing a
    /// property inout to a method of the same value makes Swift copy the whole parser per line.
    private mutating func parseFieldLine(_ line: UnsafeBufferPointer<UInt8>) throws(HTTPParseError) {
        if HTTPGrammar.isWhitespace(line[0]) {
            throw .bad("obsolete line folding (a field line starting with whitespace) is not allowed")
        }
        let n = line.count
        var i = 0
        while i < n, HTTPGrammar.isTokenChar(line[i]) { i += 1 }
        guard i < n else { throw .bad("field line has no colon") }
        guard line[i] == UInt8(ascii: ":") else {
            if HTTPGrammar.isWhitespace(line[i]) { throw .bad("whitespace between a field name and its colon") }
            throw .bad("invalid character \(Self.hex(line[i])) in a field name")
        }
        guard i > 0 else { throw .bad("empty field name") }
        let nameEnd = i
        i += 1
        while i < n, HTTPGrammar.isWhitespace(line[i]) { i += 1 }
        var end = n
        while end > i, HTTPGrammar.isWhitespace(line[end - 1]) { end -= 1 }
        let name = UnsafeBufferPointer(rebasing: line[..<nameEnd])
        for k in i..<end where !HTTPGrammar.isFieldValueChar(line[k]) {
            let lowercased = String(decoding: name.map(HTTPGrammar.lower), as: UTF8.self)
            throw .bad("field \(lowercased) contains the control character \(Self.hex(line[k]))")
        }
        guard fields.count < limits.maxHeaderCount else {
            throw HTTPParseError(.requestHeaderFieldsTooLarge, "more than \(limits.maxHeaderCount) header fields")
        }
        // Copied into the fields' one buffer: the input this line is in is dropped once consumed.
        fields.append(lowercasing: name, value: UnsafeBufferPointer(rebasing: line[i..<end]))
    }

    /// Fields a trailer section must not carry (RFC 9110 §6.5.1): framing, routing, controls.
    static let forbiddenTrailers: Set<String> = [
        "content-length", "transfer-encoding", "host", "trailer", "connection", "te", "expect", "content-type",
        "content-encoding", "authorization", "keep-alive", "upgrade",
    ]

    // MARK: Head semantics

    private func makeHead() throws(HTTPParseError) -> RequestHead {
        var hostCount = 0
        var host: ArraySlice<UInt8> = []
        var contentLength: UInt64?
        var codings: [Substring] = []
        var sawTransferEncoding = false
        var connectionTokens: [String] = []
        var expectations: [Substring] = []

        // By bytes: the common values (one Host, one plain Content-Length, `Connection: close`)
        // are read in place; only list-valued fields become Strings to be split.
        for field in fields {
            if field.hasName("host") {
                hostCount += 1
                if hostCount == 1 { host = field.valueBytes }
            } else if field.hasName("content-length") {
                if let value = Self.plainDigits(field.valueBytes) {
                    // The common case: one plain number, no list to split.
                    if let existing = contentLength, existing != value {
                        throw .bad("conflicting Content-Length values (\(existing) and \(value))")
                    }
                    contentLength = value
                    continue
                }
                for element in HTTPGrammar.listElements(field.value) {
                    let value = try Self.parseContentLength(element)
                    if let existing = contentLength, existing != value {
                        throw .bad("conflicting Content-Length values (\(existing) and \(value))")
                    }
                    contentLength = value
                }
            } else if field.hasName("transfer-encoding") {
                sawTransferEncoding = true
                codings += HTTPGrammar.listElements(field.value).filter { !$0.isEmpty }
            } else if field.hasName("connection") {
                if HTTPGrammar.equalsIgnoringCase(field.valueBytes, "close") {
                    connectionTokens.append("close")
                } else if HTTPGrammar.equalsIgnoringCase(field.valueBytes, "keep-alive") {
                    connectionTokens.append("keep-alive")
                } else {
                    connectionTokens += HTTPGrammar.listElements(field.value).map { $0.lowercased() }
                }
            } else if field.hasName("expect") {
                expectations += HTTPGrammar.listElements(field.value).filter { !$0.isEmpty }
            }
        }

        switch version {
        case .http11:
            guard hostCount > 0 else { throw .bad("HTTP/1.1 request without a Host header") }
            guard hostCount == 1 else { throw .bad("more than one Host header") }
        case .http10:
            guard hostCount <= 1 else { throw .bad("more than one Host header") }
        }
        if hostCount == 1, !HTTPGrammar.isValidHost(host) { throw .bad("invalid Host header") }

        let framing: BodyFraming
        if sawTransferEncoding {
            guard version == .http11 else { throw .bad("Transfer-Encoding is not allowed in an HTTP/1.0 request") }
            guard contentLength == nil else {
                throw .bad("both Content-Length and Transfer-Encoding (a request smuggling attempt)")
            }
            try Self.checkCodings(codings)
            framing = .chunked
        } else if let contentLength {
            guard contentLength <= limits.maxBodyBytes else {
                throw HTTPParseError(
                    .contentTooLarge,
                    "Content-Length \(contentLength) exceeds the limit of \(limits.maxBodyBytes) bytes")
            }
            framing = .contentLength(contentLength)
        } else {
            guard !methodsRequiringLength.contains(method) else {
                throw HTTPParseError(.lengthRequired, "\(method) needs Content-Length or chunked Transfer-Encoding")
            }
            framing = .none
        }

        let keepAlive =
            connectionTokens.contains("close")
            ? false : (version == .http11 || connectionTokens.contains("keep-alive"))

        var expectsContinue = false
        if version == .http11, !expectations.isEmpty {
            // RFC 9110 §10.1.1: 100-continue is the only expectation defined.
            guard expectations.allSatisfy({ $0.lowercased() == "100-continue" }) else {
                throw HTTPParseError(.expectationFailed, "only Expect: 100-continue is supported")
            }
            expectsContinue = framing != .none && framing != .contentLength(0)
        }

        return RequestHead(
            method: method, target: target, version: version, fields: fields, framing: framing,
            keepAlive: keepAlive, expectsContinue: expectsContinue)
    }

    /// A value of 1 to 18 digits and nothing else, or nil (then the general path decides).
    private static func plainDigits(_ value: ArraySlice<UInt8>) -> UInt64? {
        var result: UInt64 = 0
        var count = 0
        for b in value {
            guard HTTPGrammar.isDigit(b), count < 18 else { return nil }
            result = result * 10 + UInt64(b - UInt8(ascii: "0"))
            count += 1
        }
        return count > 0 ? result : nil
    }

    private static func parseContentLength(_ element: Substring) throws(HTTPParseError) -> UInt64 {
        guard !element.isEmpty else { throw .bad("empty Content-Length") }
        var value: UInt64 = 0
        for b in element.utf8 {
            guard HTTPGrammar.isDigit(b) else { throw .bad("Content-Length must be digits only") }
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(UInt64(b - UInt8(ascii: "0")))
            guard !o1, !o2, sum <= UInt64(Int64.max) else { throw .bad("Content-Length is too large to represent") }
            value = sum
        }
        return value
    }

    /// transfer-coding = token *( OWS ";" OWS transfer-parameter ); only a single, final
    /// `chunked` is supported.
    private static func checkCodings(_ codings: [Substring]) throws(HTTPParseError) {
        guard !codings.isEmpty else { throw .bad("empty Transfer-Encoding") }
        for (index, coding) in codings.enumerated() {
            let name = coding.prefix { $0 != ";" && $0 != " " && $0 != "\t" }
            let parameters = coding.dropFirst(name.count).drop { $0 == " " || $0 == "\t" }
            guard !name.isEmpty, name.utf8.allSatisfy(HTTPGrammar.isTokenChar),
                parameters.isEmpty || parameters.hasPrefix(";")
            else { throw .bad("malformed Transfer-Encoding") }
            let isChunked = name.lowercased() == "chunked"
            guard isChunked else {
                throw HTTPParseError(.notImplemented, "transfer coding \"\(name)\" is not supported; only chunked is")
            }
            guard name.count == coding.count else { throw .bad("chunked takes no parameters") }
            guard index == codings.count - 1 else { throw .bad("chunked must be applied exactly once, last") }
        }
    }

    // MARK: Chunks

    /// chunk-size [ chunk-ext ]: 1*HEXDIG *( BWS ";" BWS ext-name [ BWS "=" BWS ext-val ] )
    static func parseChunkLine(_ line: UnsafeBufferPointer<UInt8>) throws(HTTPParseError) -> UInt64 {
        let n = line.count
        var i = 0
        var size: UInt64 = 0
        while i < n, let digit = HTTPGrammar.hexValue(line[i]) {
            guard size <= (UInt64(Int64.max) >> 4) else { throw .bad("chunk size overflows") }
            size = size << 4 | digit
            i += 1
        }
        guard i > 0 else { throw .bad("chunk size must start with a hex digit") }
        while i < n {
            // BWS ";" BWS ext-name
            while i < n, HTTPGrammar.isWhitespace(line[i]) { i += 1 }
            guard i < n, line[i] == UInt8(ascii: ";") else { throw .bad("invalid character after the chunk size") }
            i += 1
            while i < n, HTTPGrammar.isWhitespace(line[i]) { i += 1 }
            let nameStart = i
            while i < n, HTTPGrammar.isTokenChar(line[i]) { i += 1 }
            guard i > nameStart else { throw .bad("malformed chunk extension") }
            var j = i
            while j < n, HTTPGrammar.isWhitespace(line[j]) { j += 1 }
            guard j < n, line[j] == UInt8(ascii: "=") else { continue }
            // BWS "=" BWS ( token / quoted-string )
            i = j + 1
            while i < n, HTTPGrammar.isWhitespace(line[i]) { i += 1 }
            guard i < n else { throw .bad("malformed chunk extension value") }
            if line[i] == UInt8(ascii: "\"") {
                i += 1
                var closed = false
                while i < n {
                    let b = line[i]
                    if b == UInt8(ascii: "\"") {
                        closed = true
                        i += 1
                        break
                    }
                    if b == UInt8(ascii: "\\") {
                        guard i + 1 < n, HTTPGrammar.isFieldValueChar(line[i + 1]) else {
                            throw .bad("malformed chunk extension value")
                        }
                        i += 2
                        continue
                    }
                    guard HTTPGrammar.isFieldValueChar(b) else { throw .bad("malformed chunk extension value") }
                    i += 1
                }
                guard closed else { throw .bad("unterminated quoted chunk extension value") }
            } else {
                let valueStart = i
                while i < n, HTTPGrammar.isTokenChar(line[i]) { i += 1 }
                guard i > valueStart else { throw .bad("malformed chunk extension value") }
            }
        }
        return size
    }

    static func hex(_ b: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return "0x\(digits[Int(b >> 4)])\(digits[Int(b & 0xF)])"
    }
}
