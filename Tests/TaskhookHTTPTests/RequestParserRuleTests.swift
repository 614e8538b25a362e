import TaskhookHTTP
import TestSupport
import Testing

/// One test per rule of the request parser; every input is also parsed at every byte split.
@Suite("Request parser rules")
struct RequestParserRuleTests {
    private static let host = "Host: example.com\r\n"

    private func parse(
        _ text: String, limits: HTTPLimits = HTTPLimits(), sourceLocation: SourceLocation = #_sourceLocation
    ) -> ParseOutcome {
        ParserHarness.outcomeAtEverySplit(wire(text), limits: limits, sourceLocation: sourceLocation)
    }

    /// The single complete request `text` holds, recording an issue if it is anything else.
    private func single(
        _ text: String, limits: HTTPLimits = HTTPLimits(), sourceLocation: SourceLocation = #_sourceLocation
    ) -> ParsedRequest? {
        let outcome = parse(text, limits: limits, sourceLocation: sourceLocation)
        #expect(outcome.single != nil, "expected one complete request, got \(outcome)", sourceLocation: sourceLocation)
        return outcome.single
    }

    private func expectStatus(
        _ status: Int, _ text: String, limits: HTTPLimits = HTTPLimits(),
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let outcome = parse(text, limits: limits, sourceLocation: sourceLocation)
        #expect(outcome.status == status, "expected \(status), got \(outcome)", sourceLocation: sourceLocation)
        if case .error(_, let reason) = outcome {
            #expect(!reason.isEmpty, "an error without a reason", sourceLocation: sourceLocation)
        }
    }

    // MARK: Request line

    @Test func bytesThatCannotStartARequestAreRefusedBeforeALineEnds() {
        // A TLS ClientHello on the plain-text port: no LF for a long while, but no method either.
        var parser = RequestParser()
        let hello: [UInt8] = [0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xFC, 0x03, 0x03]
        #expect(throws: HTTPParseError.self) { try parser.parse(hello[...]) }
        expectStatus(400, "\\x16\\x03\\x01\\x02\\x00 GET / HTTP/1.1\r\n\(Self.host)\r\n")
    }

    @Test(
        "A method is any token, whatever its case",
        arguments: ["GET", "get", "Post-It", "M-SEARCH", "PROPFIND", "X!#$%&'*+-.^_`|~9"])
    func methodIsAnyToken(method: String) {
        let request = single("\(method) / HTTP/1.1\r\n\(Self.host)\r\n")
        #expect(request?.head.method == method)
    }

    @Test(
        "A method with a byte outside tchar is refused",
        arguments: ["G@T", "GE(T", "GE\"T", "G\\x00ET", "GE\\x7FT", "G\u{E9}T", "GET\t", "GE,T", "G:ET", "GE/T"])
    func methodWithNonTokenByte(method: String) {
        expectStatus(400, "\(method) / HTTP/1.1\r\n\(Self.host)\r\n")
    }

    @Test("Origin-form is split into path and query")
    func originForm() {
        let request = single("GET /hooks/freepik?attempt=2&x=%2F HTTP/1.1\r\n\(Self.host)\r\n")
        #expect(request?.head.target == "/hooks/freepik?attempt=2&x=%2F")
        #expect(request?.head.path == "/hooks/freepik")
        #expect(request?.head.query == "attempt=2&x=%2F")
    }

    @Test(
        "Path and query are taken from origin-form and absolute-form targets",
        arguments: [
            ("/", "/", nil),
            ("/a/b", "/a/b", nil),
            ("/a/b?x=1&y=2", "/a/b", "x=1&y=2"),
            ("/a?", "/a", ""),
            ("/?q", "/", "q"),
            ("/a?b?c", "/a", "b?c"),
            ("/a?next=http://x/y", "/a", "next=http://x/y"),
            ("//double", "//double", nil),
            ("http://example.com", "/", nil),
            ("http://example.com/", "/", nil),
            ("http://example.com/a/b?c=d", "/a/b", "c=d"),
            ("http://example.com?x", "/", "x"),
            ("http://example.com:8080/p?", "/p", ""),
            ("https://example.com:8443/p", "/p", nil),
            ("HTTP://EXAMPLE.COM/P", "/P", nil),
            ("http://[::1]:8080/v1?w=1", "/v1", "w=1"),
        ] as [(String, String, String?)])
    func pathAndQuery(target: String, path: String, query: String?) {
        let request = single("GET \(target) HTTP/1.1\r\n\(Self.host)\r\n")
        #expect(request?.head.target == target)
        #expect(request?.head.path == path)
        #expect(request?.head.query == query)
    }

    @Test(
        "Absolute-form needs an http or https URI with a plain host authority",
        arguments: [
            "ftp://example.com/", "http:///a", "http://user@example.com/", "http://example.com:80a/",
            "http://exa mple.com/", "http:/example.com/", "mailto:someone", "example.com/a",
        ])
    func absoluteFormRules(target: String) {
        expectStatus(400, "GET \(target) HTTP/1.1\r\n\(Self.host)\r\n")
    }

    @Test("Asterisk-form is accepted for OPTIONS only")
    func asteriskForm() {
        let request = single("OPTIONS * HTTP/1.1\r\n\(Self.host)\r\n")
        #expect(request?.head.target == "*")
        expectStatus(400, "GET * HTTP/1.1\r\n\(Self.host)\r\n")
        expectStatus(400, "options * HTTP/1.1\r\n\(Self.host)\r\n")
        expectStatus(400, "OPTIONS *x HTTP/1.1\r\n\(Self.host)\r\n")
    }

    @Test("Authority-form is accepted for CONNECT only, and CONNECT takes nothing else")
    func authorityForm() {
        let request = single("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n")
        #expect(request?.head.target == "example.com:443")
        expectStatus(400, "GET example.com:443 HTTP/1.1\r\n\(Self.host)\r\n")
        expectStatus(400, "CONNECT example.com HTTP/1.1\r\n\(Self.host)\r\n")
        expectStatus(400, "CONNECT example.com: HTTP/1.1\r\n\(Self.host)\r\n")
        expectStatus(400, "CONNECT :443 HTTP/1.1\r\n\(Self.host)\r\n")
        expectStatus(400, "CONNECT / HTTP/1.1\r\n\(Self.host)\r\n")
        expectStatus(400, "CONNECT http://example.com:443/ HTTP/1.1\r\n\(Self.host)\r\n")
        expectStatus(400, "CONNECT * HTTP/1.1\r\n\(Self.host)\r\n")
    }

    @Test(
        "The parts of the request line are separated by exactly one space",
        arguments: [
            "GET  / HTTP/1.1", "GET /  HTTP/1.1", " GET / HTTP/1.1", "GET / HTTP/1.1 ", "GET\t/ HTTP/1.1",
            "GET /\tHTTP/1.1", "GET / HTTP/1.1\t", "GET", "GET ", "GET /", "GET / ", "GET HTTP/1.1",
            "GET / HTTP/1.1 extra",
        ])
    func exactlyOneSpace(line: String) {
        expectStatus(400, "\(line)\r\n\(Self.host)\r\n")
    }

    @Test("HTTP/1.0 and HTTP/1.1 are accepted")
    func supportedVersions() {
        #expect(single("GET / HTTP/1.1\r\n\(Self.host)\r\n")?.head.version == .http11)
        #expect(single("GET / HTTP/1.0\r\n\r\n")?.head.version == .http10)
    }

    @Test(
        "A well-formed version other than 1.0 and 1.1 is answered 505",
        arguments: ["HTTP/2.0", "HTTP/1.2", "HTTP/1.9", "HTTP/0.9", "HTTP/3.0", "HTTP/9.9", "HTTP/0.0"])
    func unsupportedVersions(version: String) {
        expectStatus(505, "GET / \(version)\r\n\(Self.host)\r\n")
    }

    @Test(
        "A malformed version is answered 400",
        arguments: [
            "HTTP/1.10", "HTTP/01.1", "http/1.1", "Http/1.1", "HTTP/1", "HTTP/11", "HTTP/1.", "HTTP/.1", "HTTP/1,1",
            "HTTP/a.b", "HTTPS/1.1", "HTTP1.1", "HTTP/1.1x", "HTTP/1.1\\x00", "HTTP/ 1.1", "HTTP",
        ])
    func malformedVersions(version: String) {
        expectStatus(400, "GET / \(version)\r\n\(Self.host)\r\n")
    }

    @Test("Up to four empty lines before a request are ignored; a fifth is refused")
    func leadingEmptyLines() {
        #expect(single("\r\nGET / HTTP/1.1\r\n\(Self.host)\r\n")?.head.method == "GET")
        #expect(single("\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\n\(Self.host)\r\n")?.head.method == "GET")
        expectStatus(400, "\r\n\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\n\(Self.host)\r\n")
        // Also between pipelined requests.
        let outcome = parse("GET /1 HTTP/1.1\r\n\(Self.host)\r\n\r\n\r\nGET /2 HTTP/1.1\r\n\(Self.host)\r\n")
        #expect(outcome.requests.map(\.head.target) == ["/1", "/2"])
        #expect(!outcome.isIncomplete)
    }

    @Test("Empty lines after the last request leave the parser inside a request")
    func trailingEmptyLine() {
        let outcome = parse("GET / HTTP/1.1\r\n\(Self.host)\r\n\r\n")
        #expect(outcome.requests.count == 1)
        #expect(outcome.isIncomplete)
    }

    @Test("An empty input, or a request cut short, is incomplete rather than an error")
    func incompleteInput() {
        #expect(parse("") == .requests([], incomplete: false))
        #expect(parse("GET / HT") == .requests([], incomplete: true))
        #expect(parse("GET / HTTP/1.1\r\n\(Self.host)") == .requests([], incomplete: true))
        #expect(parse("GET / HTTP/1.1\r\n\(Self.host)\r") == .requests([], incomplete: true))
    }

    // MARK: Lines

    @Test(
        "Obsolete line folding is refused",
        arguments: [
            "GET / HTTP/1.1\r\n\(host)X-A: 1\r\n  2\r\n\r\n",
            "GET / HTTP/1.1\r\n\(host)X-A: 1\r\n\t2\r\n\r\n",
            "GET / HTTP/1.1\r\n X-A: 1\r\n\(host)\r\n",
            "GET / HTTP/1.1\r\n\tX-A: 1\r\n\(host)\r\n",
            "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\n\r\n0\r\nX-T: 1\r\n 2\r\n\r\n",
        ])
    func obsFold(text: String) {
        expectStatus(400, text)
    }

    @Test(
        "A CR not followed by LF is refused wherever it appears",
        arguments: [
            "GET /\r HTTP/1.1\r\n\(host)\r\n",
            "GET / HTTP/1.1\r\r\n\(host)\r\n",
            "GET / HTTP/1.1\rHost: example.com\r\n\r\n",
            "\rGET / HTTP/1.1\r\n\(host)\r\n",
            "GET / HTTP/1.1\r\n\(host)X-A: a\rb\r\n\r\n",
            "GET / HTTP/1.1\r\n\(host)X\rA: b\r\n\r\n",
            "GET / HTTP/1.1\r\n\(host)\r\r\n",
            "GET / HTTP/1.1\r\n\(host)X-A: b\r\r\n\r\n",
            "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\n\r\n5\r\r\nhello\r\n0\r\n\r\n",
            "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\n\r\n0\r\nX-T: a\rb\r\n\r\n",
        ])
    func bareCR(text: String) {
        expectStatus(400, text)
    }

    @Test(
        "A LF not preceded by CR is refused wherever it appears",
        arguments: [
            "GET / HTTP/1.1\n\(host)\r\n",
            "\nGET / HTTP/1.1\r\n\(host)\r\n",
            "GET / HTTP/1.1\r\nHost: example.com\n\r\n",
            "GET / HTTP/1.1\r\n\(host)\n",
            "GET / HTTP/1.1\r\n\(host)X-A: a\nb\r\n\r\n",
            "GET / HTTP/1.1\n\r\n\(host)\r\n",
            "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n",
            "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\n\r\n5\r\nhello\n0\r\n\r\n",
            "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\n\r\n",
            "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\n\r\n0\r\n\n",
        ])
    func bareLF(text: String) {
        expectStatus(400, text)
    }

    // MARK: Field lines

    @Test(
        "A field name must be a token",
        arguments: [
            "X@Y", "X(Y", "X)Y", "X\"Y", "X Y", "X,Y", "X/Y", "X[Y", "X]Y", "X{Y", "X=Y", "X?Y", "X\\\\Y", "X;Y",
            "X\\x00Y", "X\\x7FY", "X\\x01Y", "X\u{E9}Y", "X\\xFFY", "", "\\x0bX",
        ])
    func fieldNameIsToken(name: String) {
        expectStatus(400, "GET / HTTP/1.1\r\n\(Self.host)\(name): v\r\n\r\n")
    }

    @Test("Every tchar is allowed in a field name, and names are compared case-insensitively")
    func fieldNameTchars() {
        let request = single("GET / HTTP/1.1\r\n\(Self.host)X!#$%&'*+-.^_`|~Z: v\r\nX-CaSe: w\r\n\r\n")
        #expect(request?.head.fields["x!#$%&'*+-.^_`|~z"] == "v")
        #expect(request?.head.fields["x-case"] == "w")
        #expect(request?.head.fields["X-CASE"] == "w")
    }

    @Test("A field line without a colon is refused")
    func fieldWithoutColon() {
        expectStatus(400, "GET / HTTP/1.1\r\n\(Self.host)X-A\r\n\r\n")
        expectStatus(400, "GET / HTTP/1.1\r\n\(Self.host)X-A value\r\n\r\n")
    }

    @Test(
        "Whitespace between a field name and its colon is refused",
        arguments: ["Host : example.com", "Host\t: example.com", "Content-Length : 0", "X-A  : b"])
    func whitespaceBeforeColon(line: String) {
        expectStatus(400, "GET / HTTP/1.1\r\n\(line)\r\n\(Self.host)\r\n")
    }

    @Test(
        "A field value with NUL, a control character or DEL is refused",
        arguments: ["\\x00", "\\x01", "\\x08", "\\x0b", "\\x0c", "\\x1b", "\\x1f", "\\x7f"])
    func controlInValue(byte: String) {
        expectStatus(400, "GET / HTTP/1.1\r\n\(Self.host)X-A: a\(byte)b\r\n\r\n")
        expectStatus(400, "GET / HTTP/1.1\r\n\(Self.host)X-A: \(byte)\r\n\r\n")
    }

    @Test("A field value may hold obs-text, tabs and inner spaces; surrounding whitespace is dropped")
    func fieldValueContent() {
        let request = single(
            "GET / HTTP/1.1\r\n\(Self.host)X-Utf8: caf\u{E9}\r\nX-Raw: \\x80\\xFF\r\nX-Tab: \t a \t b \t\r\n"
                + "X-Empty:\r\nX-Blank: \t \r\n\r\n")
        #expect(request?.head.fields["x-utf8"] == "caf\u{E9}")
        // The bytes are kept as received; only the String view replaces what is not UTF-8.
        #expect(request?.head.fields.first("x-raw").map { Array($0.valueBytes) } == [0x80, 0xFF])
        #expect(request?.head.fields["x-raw"] == "\u{FFFD}\u{FFFD}")
        #expect(request?.head.fields["x-tab"] == "a \t b")
        #expect(request?.head.fields["x-empty"] == "")
        #expect(request?.head.fields["x-blank"] == "")
        #expect(request?.head.fields.count == 6)
    }

    @Test("Repeated fields are kept in order")
    func repeatedFields() {
        let request = single("GET / HTTP/1.1\r\n\(Self.host)Accept: a\r\nX: 1\r\naccept: b\r\n\r\n")
        #expect(request?.head.fields.values("Accept") == ["a", "b"])
        #expect(request?.head.fields.map(\.name) == ["host", "accept", "x", "accept"])
    }

    // MARK: Host

    @Test("An HTTP/1.1 request needs exactly one Host field")
    func hostRequiredOnce() {
        expectStatus(400, "GET / HTTP/1.1\r\n\r\n")
        expectStatus(400, "GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n")
        expectStatus(400, "GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n")
        expectStatus(400, "GET / HTTP/1.1\r\nHost: a\r\nHost:\r\n\r\n")
        expectStatus(400, "GET http://example.com/ HTTP/1.1\r\n\r\n")
    }

    @Test("An empty Host is accepted")
    func emptyHost() {
        #expect(single("GET / HTTP/1.1\r\nHost:\r\n\r\n")?.head.fields["host"] == "")
        #expect(single("GET / HTTP/1.1\r\nHost: \t\r\n\r\n")?.head.fields["host"] == "")
    }

    @Test("An HTTP/1.0 request may omit Host but may not repeat it")
    func hostInHTTP10() {
        #expect(single("GET / HTTP/1.0\r\n\r\n")?.head.fields.isEmpty == true)
        #expect(single("GET / HTTP/1.0\r\nHost: example.com\r\n\r\n") != nil)
        expectStatus(400, "GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n")
        expectStatus(400, "GET / HTTP/1.0\r\nHost: a b\r\n\r\n")
    }

    @Test(
        "A Host with a valid uri-host and port is accepted",
        arguments: [
            "example.com", "example.com:8080", "EXAMPLE.com:", "127.0.0.1", "127.0.0.1:80", "[::1]", "[::1]:8080",
            "[2001:db8::ff00:42:8329]", "my_host", "a-b.c~d", "ex%41mple.com", "sub.delims!$&'()*+,;=",
        ])
    func validHosts(host: String) {
        #expect(single("GET / HTTP/1.1\r\nHost: \(host)\r\n\r\n")?.head.fields["host"] == host)
    }

    @Test(
        "A Host with invalid syntax is refused",
        arguments: [
            "exa mple.com", "a, b", "example.com/", "user@example.com", "example.com:80a", "example.com:123456",
            "example.com:-1", "[::1", "[]", "[::1]x", "[::1]:8a", "[g::1]", "ex%4mple.com", "ex%zzmple", "a:b:c",
            "caf\u{E9}.com", "\\xFF", "exam\"ple", "a#b", "a?b", "a\\\\b",
        ])
    func invalidHosts(host: String) {
        expectStatus(400, "GET / HTTP/1.1\r\nHost: \(host)\r\n\r\n")
    }

    @Test("With an absolute-form target the Host field may differ; it is still required in HTTP/1.1")
    func hostWithAbsoluteForm() {
        let request = single("GET http://example.com/a HTTP/1.1\r\nHost: other.example\r\n\r\n")
        #expect(request?.head.path == "/a")
        #expect(single("GET http://example.com/a HTTP/1.0\r\n\r\n")?.head.path == "/a")
        expectStatus(400, "GET http://example.com/a HTTP/1.1\r\n\r\n")
    }

    // MARK: Content-Length

    @Test("Content-Length delimits the body and the next request starts after it")
    func contentLengthBody() {
        let outcome = parse(
            "POST /a HTTP/1.1\r\n\(Self.host)Content-Length: 5\r\n\r\nhelloGET /b HTTP/1.1\r\n\(Self.host)\r\n")
        #expect(outcome.requests.map(\.head.target) == ["/a", "/b"])
        #expect(outcome.requests.first?.bodyText == "hello")
        #expect(outcome.requests.first?.head.framing == .contentLength(5))
        #expect(outcome.requests.last?.body == [])
        #expect(outcome.requests.last?.head.framing == BodyFraming.none)
        #expect(!outcome.isIncomplete)
    }

    @Test("A body shorter than its Content-Length leaves the request incomplete")
    func contentLengthShortBody() {
        let outcome = parse("POST / HTTP/1.1\r\n\(Self.host)Content-Length: 10\r\n\r\nhello")
        #expect(outcome == .requests([], incomplete: true))
        let trace = ParserHarness.trace(wire("POST / HTTP/1.1\r\n\(Self.host)Content-Length: 10\r\n\r\nhello"))
        #expect(trace.partial?.bodyText == "hello")
    }

    @Test("Content-Length 0 gives an empty body")
    func contentLengthZero() {
        let request = single("POST / HTTP/1.1\r\n\(Self.host)Content-Length: 0\r\n\r\n")
        #expect(request?.head.framing == .contentLength(0))
        #expect(request?.body == [])
    }

    @Test(
        "Content-Length must be digits only",
        arguments: [
            "+5", "-5", "-0", "0x5", "5.0", "5 5", "1e3", "five", "\"5\"", "5;", "5 ;q=1", "", "\\x005", "5\\x00",
            "\u{0665}", "\u{FF15}", "5,", ",5", "5,,5", "0x", "\\x0b5",
        ])
    func contentLengthDigitsOnly(value: String) {
        expectStatus(400, "POST / HTTP/1.1\r\n\(Self.host)Content-Length: \(value)\r\n\r\nhello")
    }

    @Test(
        "A Content-Length too large for 63 bits is refused as malformed",
        arguments: [
            "9223372036854775808", "18446744073709551615", "18446744073709551616", "99999999999999999999",
            "340282366920938463463374607431768211456", "0000000000000000000000000009223372036854775808",
        ])
    func contentLengthOverflow(value: String) {
        expectStatus(400, "POST / HTTP/1.1\r\n\(Self.host)Content-Length: \(value)\r\n\r\n")
    }

    @Test("A representable Content-Length above the body limit is answered 413")
    func contentLengthAboveLimit() {
        expectStatus(413, "POST / HTTP/1.1\r\n\(Self.host)Content-Length: 9223372036854775807\r\n\r\n")
        expectStatus(413, "POST / HTTP/1.1\r\n\(Self.host)Content-Length: 1048577\r\n\r\n")
    }

    @Test(
        "Identical Content-Length values, repeated in a list or on lines, are accepted",
        arguments: [
            "Content-Length: 5, 5\r\n", "Content-Length: 5,5,5\r\n", "Content-Length: 5\r\nContent-Length: 5\r\n",
            "Content-Length: 5\r\ncontent-length: 05\r\n", "Content-Length: 5, 5\r\nContent-Length: 5\r\n",
            "Content-Length:\t5\t\r\n",
        ])
    func identicalContentLengths(fields: String) {
        let request = single("POST / HTTP/1.1\r\n\(Self.host)\(fields)\r\nhello")
        #expect(request?.head.framing == .contentLength(5))
        #expect(request?.bodyText == "hello")
    }

    @Test(
        "Conflicting Content-Length values are refused",
        arguments: [
            "Content-Length: 5, 6\r\n", "Content-Length: 5\r\nContent-Length: 6\r\n", "Content-Length: 5, 0\r\n",
            "Content-Length: 0\r\nContent-Length: 5\r\n",
        ])
    func conflictingContentLengths(fields: String) {
        expectStatus(400, "POST / HTTP/1.1\r\n\(Self.host)\(fields)\r\nhello!")
    }

    // MARK: Transfer-Encoding

    @Test(
        "Content-Length together with Transfer-Encoding is refused",
        arguments: [
            "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n",
            "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n",
            "Transfer-Encoding: chunked\r\nContent-Length: 0\r\n", "Content-Length: 5\r\nTransfer-Encoding: gzip\r\n",
            "Content-Length: 5\r\nTransfer-Encoding:\r\n",
        ])
    func contentLengthAndTransferEncoding(fields: String) {
        expectStatus(400, "POST / HTTP/1.1\r\n\(Self.host)\(fields)\r\n5\r\nhello\r\n0\r\n\r\n")
    }

    @Test("Transfer-Encoding in an HTTP/1.0 request is refused")
    func transferEncodingInHTTP10() {
        expectStatus(400, "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
        expectStatus(400, "POST / HTTP/1.0\r\nTransfer-Encoding: gzip\r\n\r\n")
        expectStatus(400, "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\nhello")
    }

    @Test(
        "An unknown transfer coding is answered 501",
        arguments: [
            "gzip", "identity", "deflate", "compress", "x-custom", "xchunked", "chunked-false", "chunkedx", "'chunked'",
            "gzip, chunked", "gzip,chunked", "br",
        ])
    func unknownCoding(coding: String) {
        expectStatus(501, "POST / HTTP/1.1\r\n\(Self.host)Transfer-Encoding: \(coding)\r\n\r\n0\r\n\r\n")
    }

    @Test(
        "chunked applied twice, not last, with parameters or malformed is refused",
        arguments: [
            "Transfer-Encoding: chunked, chunked\r\n", "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n",
            "Transfer-Encoding: chunked, gzip\r\n", "Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n",
            "Transfer-Encoding: chunked;q=1\r\n", "Transfer-Encoding: chunked ;\r\n",
            "Transfer-Encoding: \"chunked\"\r\n",
            "Transfer-Encoding:\r\n", "Transfer-Encoding: ,\r\n", "Transfer-Encoding: chunked\u{E9}\r\n",
            "Transfer-Encoding: chunked\\x0b\r\n",
        ])
    func malformedChunkedCoding(fields: String) {
        expectStatus(400, "POST / HTTP/1.1\r\n\(Self.host)\(fields)\r\n0\r\n\r\n")
    }

    @Test(
        "chunked is recognised whatever its case and surrounding whitespace, and empty list elements are ignored",
        arguments: [
            "chunked", "Chunked", "CHUNKED", "\tchunked", "chunked\t", " \t chunked \t ", ", chunked", "chunked,",
        ])
    func chunkedSpellings(coding: String) {
        let request = single(
            "POST / HTTP/1.1\r\n\(Self.host)Transfer-Encoding:\(coding)\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
        #expect(request?.head.framing == .chunked)
        #expect(request?.bodyText == "hello")
    }

    // MARK: Chunked bodies

    @Test("A chunked body is decoded, with extensions and trailers")
    func chunkedBody() {
        let text =
            "POST /c HTTP/1.1\r\n\(Self.host)Transfer-Encoding: chunked\r\n\r\n"
            + "5\r\nhello\r\n"
            + "1;name\r\n,\r\n"
            + "4\r\n\r\n\r\n\r\n"
            + "A;a=b;c=\"d e;f\\\"g\"\r\n0123456789\r\n"
            + "0006 ; x = y\r\nworld!\r\n"
            + "0;last=\"yes\"\r\nX-Checksum: abc\r\nX-Other:  1 2 \r\n\r\n"
            + "GET /next HTTP/1.1\r\n\(Self.host)\r\n"
        let outcome = parse(text)
        #expect(outcome.requests.count == 2)
        let request = outcome.requests.first
        #expect(request?.bodyText == "hello,\r\n\r\n0123456789world!")
        #expect(request?.trailers.map(\.name) == ["x-checksum", "x-other"])
        #expect(request?.trailers["X-Other"] == "1 2")
        #expect(outcome.requests.last?.head.target == "/next")
        #expect(!outcome.isIncomplete)
    }

    @Test("A chunked body with no data chunks and no trailers is empty")
    func emptyChunkedBody() {
        let request = single("POST / HTTP/1.1\r\n\(Self.host)Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
        #expect(request?.body == [])
        #expect(request?.trailers.isEmpty == true)
        #expect(single("POST / HTTP/1.1\r\n\(Self.host)Transfer-Encoding: chunked\r\n\r\n000\r\n\r\n") != nil)
    }

    @Test(
        "A trailer field that controls framing, routing or authentication is refused",
        arguments: [
            "Content-Length: 5", "Transfer-Encoding: chunked", "Host: example.com", "Trailer: x", "Connection: close",
            "TE: trailers", "Expect: 100-continue", "Content-Type: text/plain", "Content-Encoding: gzip",
            "Authorization: Bearer x", "Keep-Alive: 5", "Upgrade: h2c", "content-length: 0",
        ])
    func forbiddenTrailers(field: String) {
        expectStatus(400, "POST / HTTP/1.1\r\n\(Self.host)Transfer-Encoding: chunked\r\n\r\n0\r\n\(field)\r\n\r\n")
    }

    @Test("Trailer fields follow the rules of header fields")
    func trailerFieldGrammar() {
        let prefix = "POST / HTTP/1.1\r\n\(Self.host)Transfer-Encoding: chunked\r\n\r\n0\r\n"
        expectStatus(400, prefix + "X T: 1\r\n\r\n")
        expectStatus(400, prefix + "X-T : 1\r\n\r\n")
        expectStatus(400, prefix + "X-T: \\x00\r\n\r\n")
        expectStatus(400, prefix + ": 1\r\n\r\n")
        expectStatus(400, prefix + "X-T\r\n\r\n")
    }

    @Test(
        "A malformed chunk size is refused",
        arguments: [
            "0x5", "+5", "-5", " 5", "5 ", "5\t", "\t5", "5;", "5 ;", "5;=x", "5;a=", "5;a=\"b", "5;a=b c",
            "5;a=\"\\x00\"",
            "5;a b", "5,a", "5=a", "g", "", "ffffffffffffffffff", "ffffffffffffffff", "10000000000000000",
            "8000000000000000", "5\\x00", "\\x005", "5;a=\"x\\\\", "5;\"a\"", "5;a=\"\\\\\\x01\"", "5 5", "٥",
        ])
    func badChunkSize(size: String) {
        expectStatus(
            400, "POST / HTTP/1.1\r\n\(Self.host)Transfer-Encoding: chunked\r\n\r\n\(size)\r\nhello\r\n0\r\n\r\n")
    }

    @Test(
        "Chunk extensions may be tokens or quoted strings, with whitespace around ; and =",
        arguments: [
            "5;a", "5;a=b", "5;a=\"b\"", "5;a=\"\"", "5 ;a=b", "5\t; a = b", "5;a=b;c;d=\"e\\\"f\"", "5;a=\"x;y=z\"",
            "5;a=\"caf\u{E9}\"", "5;a=\"t\tab\"", "5;!#$%&'*+-.^_`|~=!#$%&'*+-.^_`|~", "05;a", "5;a=\"\\\\\"",
        ])
    func chunkExtensions(size: String) {
        let request = single(
            "POST / HTTP/1.1\r\n\(Self.host)Transfer-Encoding: chunked\r\n\r\n\(size)\r\nhello\r\n0\r\n\r\n")
        #expect(request?.bodyText == "hello")
    }

    @Test("Chunk sizes are hexadecimal in either case")
    func chunkSizeHex() {
        let data = String(repeating: "x", count: 0x1a)
        #expect(
            single("POST / HTTP/1.1\r\n\(Self.host)Transfer-Encoding: chunked\r\n\r\n1a\r\n\(data)\r\n0\r\n\r\n")?
                .body.count == 0x1a)
        #expect(
            single("POST / HTTP/1.1\r\n\(Self.host)Transfer-Encoding: chunked\r\n\r\n1A\r\n\(data)\r\n0\r\n\r\n")?
                .body.count == 0x1a)
    }

    @Test(
        "Chunk data not followed by CRLF is refused",
        arguments: [
            "5\r\nhello!\r\n0\r\n\r\n", "5\r\nhelloX\r\n0\r\n\r\n", "5\r\nhello\n0\r\n\r\n", "5\r\nhello\rX0\r\n\r\n",
            "5\r\nhello\r\r\n0\r\n\r\n", "5\r\nhel\r\n0\r\n\r\n", "5\r\nhello0\r\n\r\n", "3\r\nhello\r\n0\r\n\r\n",
        ])
    func chunkDataWithoutCRLF(body: String) {
        expectStatus(400, "POST / HTTP/1.1\r\n\(Self.host)Transfer-Encoding: chunked\r\n\r\n\(body)")
    }

    @Test("A chunked body cut short leaves the request incomplete with the data so far")
    func chunkedCutShort() {
        let text = "POST / HTTP/1.1\r\n\(Self.host)Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n3\r\nwo"
        #expect(parse(text) == .requests([], incomplete: true))
        #expect(ParserHarness.trace(wire(text)).partial?.bodyText == "hellowo")
        #expect(parse(text + "r\r\n0\r\n") == .requests([], incomplete: true))
        #expect(parse(text + "r\r\n0\r\nX-T: 1\r\n") == .requests([], incomplete: true))
        #expect(parse(text + "r\r\n0\r\n\r\n").single?.bodyText == "hellowor")
    }

    // MARK: Length required

    @Test("POST, PUT and PATCH without a length are answered 411", arguments: ["POST", "PUT", "PATCH"])
    func lengthRequired(method: String) {
        expectStatus(411, "\(method) / HTTP/1.1\r\n\(Self.host)\r\n")
        expectStatus(411, "\(method) / HTTP/1.0\r\n\r\n")
        #expect(single("\(method) / HTTP/1.1\r\n\(Self.host)Content-Length: 0\r\n\r\n") != nil)
        #expect(single("\(method) / HTTP/1.1\r\n\(Self.host)Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n") != nil)
    }

    @Test("Other methods without a length have no body", arguments: ["GET", "HEAD", "DELETE", "OPTIONS", "post"])
    func noLengthNoBody(method: String) {
        let outcome = parse("\(method) / HTTP/1.1\r\n\(Self.host)\r\nGET /next HTTP/1.1\r\n\(Self.host)\r\n")
        #expect(outcome.requests.map(\.head.framing) == [BodyFraming.none, BodyFraming.none])
        #expect(outcome.requests.last?.head.target == "/next")
    }

    @Test("The methods that need a length can be configured")
    func configuredLengthRequired() {
        let input = wire("DELETE / HTTP/1.1\r\n\(Self.host)\r\n")
        let outcome = ParserHarness.outcomeAtEverySplit(input, methodsRequiringLength: ["DELETE"])
        #expect(outcome.status == 411)
        let post = wire("POST / HTTP/1.1\r\n\(Self.host)\r\n")
        #expect(ParserHarness.outcomeAtEverySplit(post, methodsRequiringLength: []).single != nil)
    }

    // MARK: Limits

    @Test("The request line may be as long as its limit and no longer (414)")
    func requestLineLimit() {
        let limits = HTTPLimits.with { $0.maxRequestLineBytes = 40 }
        func line(_ length: Int) -> String { "GET /" + String(repeating: "a", count: length - 14) + " HTTP/1.1" }
        #expect(line(40).utf8.count == 40)
        #expect(single("\(line(40))\r\n\(Self.host)\r\n", limits: limits) != nil)
        expectStatus(414, "\(line(41))\r\n\(Self.host)\r\n", limits: limits)
        expectStatus(414, "\(line(200))\r\n\(Self.host)\r\n", limits: limits)
        // Before the line ends, as soon as it is too long.
        expectStatus(414, "GET /" + String(repeating: "a", count: 100), limits: limits)
        // An over-long line is too long whatever else is wrong with it.
        expectStatus(414, "\(line(41))\n\(Self.host)\r\n", limits: limits)
        expectStatus(414, "\(line(42))\n\(Self.host)\r\n", limits: limits)
        expectStatus(414, "\(line(60))\r\r\n\(Self.host)\r\n", limits: limits)
        expectStatus(414, "G\rT /" + String(repeating: "a", count: 60) + "\r\n", limits: limits)
        expectStatus(414, "GET /" + String(repeating: "a", count: 40) + "\r\rHTTP/1.1\r\n", limits: limits)
    }

    @Test("The default request line limit holds at 8 KiB")
    func defaultRequestLineLimit() {
        func line(_ length: Int) -> String { "GET /" + String(repeating: "a", count: length - 14) + " HTTP/1.1" }
        #expect(single("\(line(8192))\r\n\(Self.host)\r\n") != nil)
        expectStatus(414, "\(line(8193))\r\n\(Self.host)\r\n")
        expectStatus(414, "\(line(8193))\n\(Self.host)\r\n")
    }

    @Test("The header section may fill its byte limit and no more (431)")
    func headerBytesLimit() {
        let limits = HTTPLimits.with { $0.maxHeaderBytes = 64 }
        // "Host: example.com\r\n" is 19 bytes; a field line of n bytes takes n + 2.
        func fields(filling total: Int) -> String {
            Self.host + "X: " + String(repeating: "v", count: total - 19 - 5) + "\r\n"
        }
        #expect(fields(filling: 64).utf8.count == 64)
        #expect(single("GET / HTTP/1.1\r\n\(fields(filling: 64))\r\n", limits: limits) != nil)
        expectStatus(431, "GET / HTTP/1.1\r\n\(fields(filling: 65))\r\n", limits: limits)
        expectStatus(431, "GET / HTTP/1.1\r\n\(fields(filling: 200))\r\n", limits: limits)
        expectStatus(431, "GET / HTTP/1.1\r\n\(Self.host)X: " + String(repeating: "v", count: 100), limits: limits)
        expectStatus(
            431, "GET / HTTP/1.1\r\n\(Self.host)X: " + String(repeating: "v", count: 100) + "\n", limits: limits)
        // Many short lines count as much as one long one.
        let many = String(repeating: "A: b\r\n", count: 7)  // 19 + 42 = 61 bytes with Host
        #expect(single("GET / HTTP/1.1\r\n\(Self.host)\(many)\r\n", limits: limits) != nil)
        expectStatus(431, "GET / HTTP/1.1\r\n\(Self.host)\(many)A: b\r\n\r\n", limits: limits)
    }

    @Test("The trailer section has the header section's byte limit")
    func trailerBytesLimit() {
        let limits = HTTPLimits.with { $0.maxHeaderBytes = 64 }
        let prefix = "POST / HTTP/1.1\r\n\(Self.host)Transfer-Encoding: chunked\r\n\r\n0\r\n"
        #expect(single(prefix + "X: " + String(repeating: "v", count: 59) + "\r\n\r\n", limits: limits) != nil)
        expectStatus(431, prefix + "X: " + String(repeating: "v", count: 60) + "\r\n\r\n", limits: limits)
    }

    @Test("The number of header fields is limited (431)")
    func headerCountLimit() {
        let limits = HTTPLimits.with { $0.maxHeaderCount = 5 }
        let four = (1...4).map { "X-\($0): v\r\n" }.joined()
        #expect(single("GET / HTTP/1.1\r\n\(Self.host)\(four)\r\n", limits: limits)?.head.fields.count == 5)
        expectStatus(431, "GET / HTTP/1.1\r\n\(Self.host)\(four)X-5: v\r\n\r\n", limits: limits)
        let ninetyNine = (1...99).map { "X-\($0): v\r\n" }.joined()
        #expect(single("GET / HTTP/1.1\r\n\(Self.host)\(ninetyNine)\r\n")?.head.fields.count == 100)
        expectStatus(431, "GET / HTTP/1.1\r\n\(Self.host)\(ninetyNine)X-100: v\r\n\r\n")
    }

    @Test("Ten thousand header fields are refused with 431, by count or by bytes")
    func tenThousandHeaders() {
        let input = wire("GET / HTTP/1.1\r\n\(Self.host)" + (1...10_000).map { "X-\($0): v\r\n" }.joined() + "\r\n")
        #expect(ParserHarness.outcomeAtEverySplit(input).status == 431)
        // With the count unlimited, the byte limit is reached ~16 KiB in: split around there.
        let byBytes = HTTPLimits.with { $0.maxHeaderCount = 20_000 }
        var random = SplitMix64(seed: 10_000)
        let splits = (16_300..<16_450).map { $0 } + (0..<32).map { _ in Int(random.next() % UInt64(input.count)) }
        #expect(ParserHarness.outcomeAtEverySplit(input, limits: byBytes, splits: splits).status == 431)
    }

    @Test("A body may fill its byte limit and no more (413), by Content-Length or chunked")
    func bodyLimit() {
        let limits = HTTPLimits.with { $0.maxBodyBytes = 10 }
        let ten = String(repeating: "b", count: 10)
        #expect(single("POST / HTTP/1.1\r\n\(Self.host)Content-Length: 10\r\n\r\n\(ten)", limits: limits) != nil)
        expectStatus(413, "POST / HTTP/1.1\r\n\(Self.host)Content-Length: 11\r\n\r\n\(ten)b", limits: limits)
        let chunked = "POST / HTTP/1.1\r\n\(Self.host)Transfer-Encoding: chunked\r\n\r\n"
        #expect(
            single(chunked + "4\r\nbbbb\r\n6\r\nbbbbbb\r\n0\r\n\r\n", limits: limits)?.body.count == 10)
        expectStatus(413, chunked + "4\r\nbbbb\r\n7\r\nbbbbbbb\r\n0\r\n\r\n", limits: limits)
        expectStatus(413, chunked + "b\r\nbbbbbbbbbbb\r\n0\r\n\r\n", limits: limits)
        expectStatus(413, chunked + "7fffffffffffffff\r\n", limits: limits)
        // Refused at the size line, before any of the chunk's data arrives.
        expectStatus(413, chunked + "5\r\nbbbbb\r\n6\r\n", limits: limits)
    }

    @Test("A chunk size line may be as long as its limit and no longer")
    func chunkLineLimit() {
        let limits = HTTPLimits.with { $0.maxChunkLineBytes = 16 }
        let chunked = "POST / HTTP/1.1\r\n\(Self.host)Transfer-Encoding: chunked\r\n\r\n"
        let sixteen = "5;a=" + String(repeating: "x", count: 12)
        #expect(single(chunked + "\(sixteen)\r\nhello\r\n0\r\n\r\n", limits: limits)?.bodyText == "hello")
        expectStatus(400, chunked + "\(sixteen)x\r\nhello\r\n0\r\n\r\n", limits: limits)
        expectStatus(400, chunked + "5;a=" + String(repeating: "x", count: 100), limits: limits)
        expectStatus(400, chunked + "0000000000000000005\r\nhello\r\n0\r\n\r\n", limits: limits)
    }

    // MARK: Connection

    @Test(
        "Keep-alive follows the version and the Connection field",
        arguments: [
            ("HTTP/1.1", nil, true),
            ("HTTP/1.1", "close", false),
            ("HTTP/1.1", "Close", false),
            ("HTTP/1.1", "keep-alive", true),
            ("HTTP/1.1", "upgrade, close", false),
            ("HTTP/1.1", "keep-alive, close", false),
            ("HTTP/1.1", "x-closed", true),
            ("HTTP/1.0", nil, false),
            ("HTTP/1.0", "keep-alive", true),
            ("HTTP/1.0", "Keep-Alive", true),
            ("HTTP/1.0", "foo, keep-alive", true),
            ("HTTP/1.0", "keep-alive, close", false),
            ("HTTP/1.0", "close", false),
        ] as [(String, String?, Bool)])
    func keepAlive(version: String, connection: String?, keepAlive: Bool) {
        let field = connection.map { "Connection: \($0)\r\n" } ?? ""
        let request = single("GET / \(version)\r\n\(Self.host)\(field)\r\n")
        #expect(request?.head.keepAlive == keepAlive)
    }

    @Test("Connection tokens from several lines are combined")
    func connectionOnSeveralLines() {
        let request = single("GET / HTTP/1.0\r\nConnection: foo\r\nConnection: keep-alive\r\n\r\n")
        #expect(request?.head.keepAlive == true)
        let closing = single("GET / HTTP/1.1\r\n\(Self.host)Connection: keep-alive\r\nConnection: close\r\n\r\n")
        #expect(closing?.head.keepAlive == false)
    }

    // MARK: Expect

    @Test("Expect: 100-continue is noted when a body follows")
    func expectContinue() {
        let withLength = "POST / HTTP/1.1\r\n\(Self.host)Expect: 100-continue\r\nContent-Length: 5\r\n\r\nhello"
        #expect(single(withLength)?.head.expectsContinue == true)
        let chunked =
            "POST / HTTP/1.1\r\n\(Self.host)Expect: 100-Continue\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
        #expect(single(chunked)?.head.expectsContinue == true)
        let noBody = "GET / HTTP/1.1\r\n\(Self.host)Expect: 100-continue\r\n\r\n"
        #expect(single(noBody)?.head.expectsContinue == false)
        let empty = "POST / HTTP/1.1\r\n\(Self.host)Expect: 100-continue\r\nContent-Length: 0\r\n\r\n"
        #expect(single(empty)?.head.expectsContinue == false)
        let plain = "POST / HTTP/1.1\r\n\(Self.host)Content-Length: 5\r\n\r\nhello"
        #expect(single(plain)?.head.expectsContinue == false)
    }

    @Test(
        "Any other expectation is answered 417",
        arguments: ["200-ok", "100-continue, foo", "100-continue; x=1", "foo", "continue", "100-continue=1"])
    func otherExpectations(value: String) {
        expectStatus(417, "POST / HTTP/1.1\r\n\(Self.host)Expect: \(value)\r\nContent-Length: 5\r\n\r\nhello")
    }

    @Test("Expect is ignored in HTTP/1.0 requests")
    func expectInHTTP10() {
        let text = "POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\nhello"
        #expect(single(text)?.head.expectsContinue == false)
        #expect(single("GET / HTTP/1.0\r\nExpect: something-else\r\n\r\n") != nil)
    }

    // MARK: Pipelining

    @Test("A thousand pipelined requests are parsed in order, however the input is cut")
    func thousandPipelinedRequests() {
        var text = ""
        for i in 0..<1000 {
            switch i % 4 {
            case 0: text += "GET /r/\(i)?q=\(i) HTTP/1.1\r\n\(Self.host)\r\n"
            case 1:
                let body = "body-\(i)"
                text += "POST /r/\(i) HTTP/1.1\r\n\(Self.host)Content-Length: \(body.utf8.count)\r\n\r\n\(body)"
            case 2:
                text +=
                    "PUT /r/\(i) HTTP/1.1\r\n\(Self.host)Transfer-Encoding: chunked\r\n\r\n"
                    + "3\r\nabc\r\n2;x=y\r\n\(i % 10)\(i % 10)\r\n0\r\nX-N: \(i)\r\n\r\n"
            default: text += "\r\nDELETE /r/\(i) HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
            }
        }
        let input = wire(text)
        let reference = ParserHarness.trace(input)
        let requests = reference.outcome.requests
        #expect(reference.outcome.isIncomplete == false)
        #expect(requests.count == 1000)
        #expect(requests.map(\.head.path) == (0..<1000).map { "/r/\($0)" })
        #expect(requests[0].head.query == "q=0")
        #expect(requests[1].bodyText == "body-1")
        #expect(requests[2].bodyText == "abc22")
        #expect(requests[2].trailers["x-n"] == "2")
        #expect(requests[3].head.keepAlive)

        var random = SplitMix64(seed: 0x7461_736b_686f_6f6b)
        let splits = (0..<300).map { _ in Int(random.next() % UInt64(input.count + 1)) }
        let cuts = (0..<300).map { _ in Int(random.next() % UInt64(input.count)) }.sorted()
        ParserHarness.outcomeAtEverySplit(input, splits: splits, cutSets: [cuts])
        #expect(ParserHarness.bytewiseTrace(input) == reference, "one byte at a time")
    }
}
