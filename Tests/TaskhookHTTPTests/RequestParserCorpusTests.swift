import TaskhookHTTP
import Testing

/// One malformed or edge-case request and what the parser must make of it.
struct CorpusCase: Sendable, CustomTestStringConvertible {
    enum Expected: Sendable, Equatable, ExpressibleByIntegerLiteral, CustomStringConvertible {
        /// Exactly one complete request, nothing left over.
        case ok
        /// This many complete requests, nothing left over.
        case requests(Int)
        /// This many complete requests, then the input ends inside the next one.
        case incomplete(after: Int)
        /// Refused with this status.
        case status(Int)

        init(integerLiteral value: Int) { self = .status(value) }

        var description: String {
            switch self {
            case .ok: "ok"
            case .requests(let n): "\(n) requests"
            case .incomplete(let n): "incomplete after \(n) request(s)"
            case .status(let status): "\(status)"
            }
        }
    }

    let name: String
    let bytes: [UInt8]
    let expected: Expected

    /// `text` is read by `wire`: `\\xHH` in a Swift literal stands for the raw byte 0xHH.
    init(_ name: String, _ text: String, _ expected: Expected) {
        self.name = name
        self.bytes = wire(text)
        self.expected = expected
    }

    var testDescription: String { "\(name) → \(expected)" }
}

private let host = "Host: example.com\r\n"
private let chunkedPost = "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\n\r\n"

/// Malformed and edge-case requests, after the kinds of case that HTTP conformance and request
/// smuggling suites (h1spec, HTTP Garden, the smuggling research of Kettle and others) exercise;
/// expectations from RFC 9112 / RFC 9110 and the parser's documented choices.
enum RequestParserCorpus {
    static let requestLine: [CorpusCase] = [
        CorpusCase("plain GET", "GET / HTTP/1.1\r\n\(host)\r\n", .ok),
        CorpusCase("lower-case method is a token", "get / HTTP/1.1\r\n\(host)\r\n", .ok),
        CorpusCase("mixed-case method is a token", "GeT / HTTP/1.1\r\n\(host)\r\n", .ok),
        CorpusCase("method with a hyphen", "M-SEARCH / HTTP/1.1\r\n\(host)\r\n", .ok),
        CorpusCase("method made of tchar symbols", "!#$%&'*+-.^_`|~ / HTTP/1.1\r\n\(host)\r\n", .ok),
        CorpusCase("long method", String(repeating: "A", count: 200) + " / HTTP/1.1\r\n\(host)\r\n", .ok),
        CorpusCase("NUL inside the method", "G\\x00ET / HTTP/1.1\r\n\(host)\r\n", 400),
        CorpusCase("NUL before the method", "\\x00GET / HTTP/1.1\r\n\(host)\r\n", 400),
        CorpusCase("@ in the method", "G@T / HTTP/1.1\r\n\(host)\r\n", 400),
        CorpusCase("( in the method", "GET( / HTTP/1.1\r\n\(host)\r\n", 400),
        CorpusCase("DEL in the method", "GE\\x7fT / HTTP/1.1\r\n\(host)\r\n", 400),
        CorpusCase("SOH in the method", "\\x01GET / HTTP/1.1\r\n\(host)\r\n", 400),
        CorpusCase("non-ASCII method", "G\u{C9}T / HTTP/1.1\r\n\(host)\r\n", 400),
        CorpusCase("tab after the method", "GET\t/ HTTP/1.1\r\n\(host)\r\n", 400),
        CorpusCase("vertical tab after the method", "GET\\x0b/ HTTP/1.1\r\n\(host)\r\n", 400),
        CorpusCase("form feed after the method", "GET\\x0c/ HTTP/1.1\r\n\(host)\r\n", 400),
        CorpusCase("no-break space after the method", "GET\u{A0}/ HTTP/1.1\r\n\(host)\r\n", 400),
        CorpusCase("space before the method", " GET / HTTP/1.1\r\n\(host)\r\n", 400),
        CorpusCase("tab before the method", "\tGET / HTTP/1.1\r\n\(host)\r\n", 400),
        CorpusCase("method alone", "GET\r\n\(host)\r\n", 400),
        CorpusCase("two spaces after the method", "GET  / HTTP/1.1\r\n\(host)\r\n", 400),
        CorpusCase("two spaces before the version", "GET /  HTTP/1.1\r\n\(host)\r\n", 400),
        CorpusCase("space and tab before the version", "GET / \tHTTP/1.1\r\n\(host)\r\n", 400),
        CorpusCase("space after the version", "GET / HTTP/1.1 \r\n\(host)\r\n", 400),
        CorpusCase("no request-target", "GET HTTP/1.1\r\n\(host)\r\n", 400),
        CorpusCase("HTTP/0.9 simple request", "GET /\r\n\r\n", 400),
        CorpusCase("request line of a response", "HTTP/1.1 200 OK\r\n\(host)\r\n", 400),
    ]

    static let versions: [CorpusCase] = [
        CorpusCase("HTTP/1.0 without Host", "GET / HTTP/1.0\r\n\r\n", .ok),
        CorpusCase("HTTP/2.0", "GET / HTTP/2.0\r\n\(host)\r\n", 505),
        CorpusCase("HTTP/1.2", "GET / HTTP/1.2\r\n\(host)\r\n", 505),
        CorpusCase("HTTP/0.9 with a version", "GET / HTTP/0.9\r\n\(host)\r\n", 505),
        CorpusCase("HTTP/3.0", "GET / HTTP/3.0\r\n\(host)\r\n", 505),
        CorpusCase("HTTP/9.9", "GET / HTTP/9.9\r\n\(host)\r\n", 505),
        CorpusCase("HTTP/2 connection preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505),
        CorpusCase("HTTP/1.10", "GET / HTTP/1.10\r\n\(host)\r\n", 400),
        CorpusCase("lower-case http", "GET / http/1.1\r\n\(host)\r\n", 400),
        CorpusCase("HTTP/1", "GET / HTTP/1\r\n\(host)\r\n", 400),
        CorpusCase("HTTP/11", "GET / HTTP/11\r\n\(host)\r\n", 400),
        CorpusCase("HTTP/1.1.1", "GET / HTTP/1.1.1\r\n\(host)\r\n", 400),
        CorpusCase("HTTPS/1.1", "GET / HTTPS/1.1\r\n\(host)\r\n", 400),
        CorpusCase("HTTP/1.a", "GET / HTTP/1.a\r\n\(host)\r\n", 400),
        CorpusCase("space inside the version", "GET / HTTP/ 1.1\r\n\(host)\r\n", 400),
        CorpusCase("backslash in the version", "GET / HTTP\\\\1.1\r\n\(host)\r\n", 400),
        CorpusCase("NUL after the version", "GET / HTTP/1.1\\x00\r\n\(host)\r\n", 400),
        CorpusCase("non-ASCII digit in the version", "GET / HTTP/1.\u{0661}\r\n\(host)\r\n", 400),
    ]

    static let targets: [CorpusCase] = [
        CorpusCase("percent-encoded path", "GET /a%2Fb%41 HTTP/1.1\r\n\(host)\r\n", .ok),
        CorpusCase("query with sub-delims", "GET /a?b=c&d=e;f,g:h@i!$'()*+/? HTTP/1.1\r\n\(host)\r\n", .ok),
        CorpusCase("empty query", "GET /? HTTP/1.1\r\n\(host)\r\n", .ok),
        CorpusCase("double slash", "GET //x HTTP/1.1\r\n\(host)\r\n", .ok),
        CorpusCase("dot segments are left to routing", "GET /../../etc/passwd HTTP/1.1\r\n\(host)\r\n", .ok),
        // RFC 3986 reserves [ and ] for IP literals; the parser accepts them anywhere.
        CorpusCase("square brackets in the path", "GET /a[0] HTTP/1.1\r\n\(host)\r\n", .ok),
        CorpusCase("double quote in the target", "GET /a\"b HTTP/1.1\r\n\(host)\r\n", 400),
        CorpusCase("< in the target", "GET /<script> HTTP/1.1\r\n\(host)\r\n", 400),
        CorpusCase("{ in the target", "GET /a{b} HTTP/1.1\r\n\(host)\r\n", 400),
        CorpusCase("backslash in the target", "GET /a\\\\b HTTP/1.1\r\n\(host)\r\n", 400),
        CorpusCase("^ in the target", "GET /a^b HTTP/1.1\r\n\(host)\r\n", 400),
        CorpusCase("backtick in the target", "GET /a`b HTTP/1.1\r\n\(host)\r\n", 400),
        CorpusCase("| in the target", "GET /a|b HTTP/1.1\r\n\(host)\r\n", 400),
        CorpusCase("space in the target", "GET /a b HTTP/1.1\r\n\(host)\r\n", 400),
        CorpusCase("fragment in the target", "GET /a#b HTTP/1.1\r\n\(host)\r\n", 400),
        CorpusCase("fragment after the query", "GET /a?b#c HTTP/1.1\r\n\(host)\r\n", 400),
        CorpusCase("UTF-8 in the target", "GET /caf\u{E9} HTTP/1.1\r\n\(host)\r\n", 400),
        CorpusCase("raw 0xFF in the target", "GET /\\xFF HTTP/1.1\r\n\(host)\r\n", 400),
        CorpusCase("NUL in the target", "GET /a\\x00b HTTP/1.1\r\n\(host)\r\n", 400),
        CorpusCase("tab in the target", "GET /a\tb HTTP/1.1\r\n\(host)\r\n", 400),
        CorpusCase("DEL in the target", "GET /a\\x7F HTTP/1.1\r\n\(host)\r\n", 400),
        CorpusCase("non-hex percent-escape", "GET /%zz HTTP/1.1\r\n\(host)\r\n", 400),
        CorpusCase("truncated percent-escape", "GET /%2 HTTP/1.1\r\n\(host)\r\n", 400),
        CorpusCase("lone percent", "GET /% HTTP/1.1\r\n\(host)\r\n", 400),
        CorpusCase("percent-escape with one hex digit", "GET /%G0 HTTP/1.1\r\n\(host)\r\n", 400),
        CorpusCase("double percent", "GET /%%41 HTTP/1.1\r\n\(host)\r\n", 400),
        CorpusCase("relative target", "GET a/b HTTP/1.1\r\n\(host)\r\n", 400),
        CorpusCase("asterisk-form for OPTIONS", "OPTIONS * HTTP/1.1\r\n\(host)\r\n", .ok),
        CorpusCase("asterisk-form for GET", "GET * HTTP/1.1\r\n\(host)\r\n", 400),
        CorpusCase("asterisk with a query", "OPTIONS *?x HTTP/1.1\r\n\(host)\r\n", 400),
        CorpusCase("absolute-form", "GET http://example.com/a?b HTTP/1.1\r\n\(host)\r\n", .ok),
        CorpusCase("absolute-form in capitals", "GET HTTP://EXAMPLE.COM/ HTTP/1.1\r\n\(host)\r\n", .ok),
        CorpusCase("absolute-form https with port", "GET https://example.com:8443/ HTTP/1.1\r\n\(host)\r\n", .ok),
        CorpusCase("absolute-form IPv6", "GET http://[::1]:8080/x HTTP/1.1\r\n\(host)\r\n", .ok),
        CorpusCase("absolute-form without path", "GET http://example.com HTTP/1.1\r\n\(host)\r\n", .ok),
        CorpusCase("absolute-form ftp", "GET ftp://example.com/ HTTP/1.1\r\n\(host)\r\n", 400),
        CorpusCase("absolute-form with userinfo", "GET http://user:pw@example.com/ HTTP/1.1\r\n\(host)\r\n", 400),
        CorpusCase("absolute-form with empty authority", "GET http:///a HTTP/1.1\r\n\(host)\r\n", 400),
        CorpusCase("absolute-form with bad port", "GET http://example.com:8o/ HTTP/1.1\r\n\(host)\r\n", 400),
        CorpusCase("absolute-form with fragment", "GET http://example.com/#x HTTP/1.1\r\n\(host)\r\n", 400),
        CorpusCase("absolute-form without Host", "GET http://example.com/ HTTP/1.1\r\n\r\n", 400),
        CorpusCase("absolute-form and another Host", "GET http://example.com/ HTTP/1.1\r\nHost: other\r\n\r\n", .ok),
        CorpusCase("HTTP/1.0 absolute-form without Host", "GET http://example.com/ HTTP/1.0\r\n\r\n", .ok),
        CorpusCase("authority-form for GET", "GET example.com:443 HTTP/1.1\r\n\(host)\r\n", 400),
        CorpusCase("CONNECT", "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", .ok),
        CorpusCase("CONNECT IPv6", "CONNECT [::1]:443 HTTP/1.1\r\nHost: [::1]:443\r\n\r\n", .ok),
        CorpusCase("CONNECT without port", "CONNECT example.com HTTP/1.1\r\n\(host)\r\n", 400),
        CorpusCase("CONNECT with empty port", "CONNECT example.com: HTTP/1.1\r\n\(host)\r\n", 400),
        CorpusCase("CONNECT without host", "CONNECT :443 HTTP/1.1\r\n\(host)\r\n", 400),
        CorpusCase("CONNECT with origin-form", "CONNECT / HTTP/1.1\r\n\(host)\r\n", 400),
        CorpusCase("CONNECT with IPv6 and no port", "CONNECT [::1] HTTP/1.1\r\n\(host)\r\n", 400),
    ]

    static let lines: [CorpusCase] = [
        CorpusCase("one empty line before the request", "\r\nGET / HTTP/1.1\r\n\(host)\r\n", .ok),
        CorpusCase("four empty lines before the request", "\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\n\(host)\r\n", .ok),
        CorpusCase("five empty lines before the request", "\r\n\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\n\(host)\r\n", 400),
        CorpusCase("bare LF before the request", "\nGET / HTTP/1.1\r\n\(host)\r\n", 400),
        CorpusCase("bare CR before the request", "\rGET / HTTP/1.1\r\n\(host)\r\n", 400),
        CorpusCase("request line ends in LF", "GET / HTTP/1.1\n\(host)\r\n", 400),
        CorpusCase("field line ends in LF", "GET / HTTP/1.1\r\nHost: example.com\n\r\n", 400),
        CorpusCase("header section ends in LF", "GET / HTTP/1.1\r\n\(host)\n", 400),
        CorpusCase("every line ends in LF", "GET / HTTP/1.1\nHost: example.com\n\n", 400),
        CorpusCase("LF CR line ends", "GET / HTTP/1.1\n\rHost: example.com\n\r\n\r", 400),
        CorpusCase("CR alone ends the request line", "GET / HTTP/1.1\rHost: example.com\r\n\r\n", 400),
        CorpusCase("CR inside the target", "GET /a\rb HTTP/1.1\r\n\(host)\r\n", 400),
        CorpusCase("CR inside a field value", "GET / HTTP/1.1\r\n\(host)X-A: a\rb\r\n\r\n", 400),
        CorpusCase("CR inside a field name", "GET / HTTP/1.1\r\n\(host)X-\rA: b\r\n\r\n", 400),
        CorpusCase("CR CR LF", "GET / HTTP/1.1\r\r\n\(host)\r\n", 400),
        CorpusCase("CR before the final CRLF", "GET / HTTP/1.1\r\n\(host)\r\r\n", 400),
        CorpusCase("LF inside a field value", "GET / HTTP/1.1\r\n\(host)X-A: a\nb\r\n\r\n", 400),
        CorpusCase("header section not finished", "GET / HTTP/1.1\r\n\(host)", .incomplete(after: 0)),
        CorpusCase("request line not finished", "GET / HTTP/1.1", .incomplete(after: 0)),
        CorpusCase("obs-fold with a space", "GET / HTTP/1.1\r\n\(host)X-A: a\r\n b\r\n\r\n", 400),
        CorpusCase("obs-fold with a tab", "GET / HTTP/1.1\r\n\(host)X-A: a\r\n\tb\r\n\r\n", 400),
        CorpusCase("whitespace before the first field", "GET / HTTP/1.1\r\n \(host)\r\n", 400),
        CorpusCase(
            "Transfer-Encoding folded onto the next line",
            "POST / HTTP/1.1\r\n\(host)Transfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n", 400),
        CorpusCase(
            "Content-Length folded", "POST / HTTP/1.1\r\n\(host)Content-Length: 5\r\n 6\r\n\r\nhello", 400),
        CorpusCase(
            "indented Transfer-Encoding after Content-Length",
            "POST / HTTP/1.1\r\n\(host)Content-Length: 5\r\n Transfer-Encoding: chunked\r\n\r\nhello", 400),
    ]

    static let fieldNames: [CorpusCase] = [
        CorpusCase("@ in a field name", "GET / HTTP/1.1\r\n\(host)X@Y: 1\r\n\r\n", 400),
        CorpusCase("( in a field name", "GET / HTTP/1.1\r\n\(host)X(Y: 1\r\n\r\n", 400),
        CorpusCase("double quote in a field name", "GET / HTTP/1.1\r\n\(host)X\"Y: 1\r\n\r\n", 400),
        CorpusCase("space in a field name", "GET / HTTP/1.1\r\n\(host)X Y: 1\r\n\r\n", 400),
        CorpusCase("empty field name", "GET / HTTP/1.1\r\n\(host): 1\r\n\r\n", 400),
        CorpusCase("HTTP/2 pseudo-header", "GET / HTTP/1.1\r\n\(host):authority: example.com\r\n\r\n", 400),
        CorpusCase("[ in a field name", "GET / HTTP/1.1\r\n\(host)X[Y: 1\r\n\r\n", 400),
        CorpusCase("{ in a field name", "GET / HTTP/1.1\r\n\(host)X{Y: 1\r\n\r\n", 400),
        CorpusCase("/ in a field name", "GET / HTTP/1.1\r\n\(host)X/Y: 1\r\n\r\n", 400),
        CorpusCase("= in a field name", "GET / HTTP/1.1\r\n\(host)X=Y: 1\r\n\r\n", 400),
        CorpusCase("backslash in a field name", "GET / HTTP/1.1\r\n\(host)X\\\\Y: 1\r\n\r\n", 400),
        CorpusCase("NUL in a field name", "GET / HTTP/1.1\r\n\(host)X\\x00Y: 1\r\n\r\n", 400),
        CorpusCase("DEL in a field name", "GET / HTTP/1.1\r\n\(host)X\\x7FY: 1\r\n\r\n", 400),
        CorpusCase("UTF-8 in a field name", "GET / HTTP/1.1\r\n\(host)X-\u{E9}: 1\r\n\r\n", 400),
        CorpusCase("raw 0xFF in a field name", "GET / HTTP/1.1\r\n\(host)X-\\xFF: 1\r\n\r\n", 400),
        CorpusCase("vertical tab before a field name", "GET / HTTP/1.1\r\n\(host)\\x0bX: 1\r\n\r\n", 400),
        CorpusCase("field line without a colon", "GET / HTTP/1.1\r\n\(host)X-A\r\n\r\n", 400),
        CorpusCase("space before the colon", "GET / HTTP/1.1\r\n\(host)X-A : 1\r\n\r\n", 400),
        CorpusCase("tab before the colon", "GET / HTTP/1.1\r\n\(host)X-A\t: 1\r\n\r\n", 400),
        CorpusCase("Host with a space before the colon", "GET / HTTP/1.1\r\nHost : example.com\r\n\r\n", 400),
        CorpusCase("double colon keeps the second in the value", "GET / HTTP/1.1\r\n\(host)X:: 1\r\n\r\n", .ok),
        CorpusCase("every tchar in a field name", "GET / HTTP/1.1\r\n\(host)!#$%&'*+-.^_`|~: 1\r\n\r\n", .ok),
        CorpusCase("one-letter field name", "GET / HTTP/1.1\r\n\(host)X:1\r\n\r\n", .ok),
    ]

    static let fieldValues: [CorpusCase] = [
        CorpusCase("NUL in a field value", "GET / HTTP/1.1\r\n\(host)X: a\\x00b\r\n\r\n", 400),
        CorpusCase("SOH in a field value", "GET / HTTP/1.1\r\n\(host)X: a\\x01b\r\n\r\n", 400),
        CorpusCase("US in a field value", "GET / HTTP/1.1\r\n\(host)X: a\\x1fb\r\n\r\n", 400),
        CorpusCase("DEL in a field value", "GET / HTTP/1.1\r\n\(host)X: a\\x7fb\r\n\r\n", 400),
        CorpusCase("vertical tab in a field value", "GET / HTTP/1.1\r\n\(host)X: a\\x0bb\r\n\r\n", 400),
        CorpusCase("form feed in a field value", "GET / HTTP/1.1\r\n\(host)X: a\\x0cb\r\n\r\n", 400),
        CorpusCase("escape in a field value", "GET / HTTP/1.1\r\n\(host)X: \\x1b[31m\r\n\r\n", 400),
        CorpusCase("NUL ending a field value", "GET / HTTP/1.1\r\n\(host)X: a\\x00\r\n\r\n", 400),
        CorpusCase("obs-text 0x80 in a field value", "GET / HTTP/1.1\r\n\(host)X: a\\x80b\r\n\r\n", .ok),
        CorpusCase("obs-text 0xFF in a field value", "GET / HTTP/1.1\r\n\(host)X: \\xFF\r\n\r\n", .ok),
        CorpusCase("UTF-8 in a field value", "GET / HTTP/1.1\r\n\(host)X: caf\u{E9} \u{2603}\r\n\r\n", .ok),
        CorpusCase("tab inside a field value", "GET / HTTP/1.1\r\n\(host)X: a\tb\r\n\r\n", .ok),
        CorpusCase("empty field value", "GET / HTTP/1.1\r\n\(host)X:\r\n\r\n", .ok),
        CorpusCase("whitespace-only field value", "GET / HTTP/1.1\r\n\(host)X: \t \r\n\r\n", .ok),
        CorpusCase("field value with colons and quotes", "GET / HTTP/1.1\r\n\(host)X: \"a:b\", c\r\n\r\n", .ok),
        CorpusCase(
            "10 KiB field value",
            "GET / HTTP/1.1\r\n\(host)X: " + String(repeating: "v", count: 10 * 1024) + "\r\n\r\n", .ok),
    ]

    static let hosts: [CorpusCase] = [
        CorpusCase("HTTP/1.1 without Host", "GET / HTTP/1.1\r\n\r\n", 400),
        CorpusCase("empty Host", "GET / HTTP/1.1\r\nHost:\r\n\r\n", .ok),
        CorpusCase("Host twice, same value", "GET / HTTP/1.1\r\n\(host)\(host)\r\n", 400),
        CorpusCase("Host twice, different values", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
        CorpusCase("Host twice, in different case", "GET / HTTP/1.1\r\nHost: a\r\nhOST: a\r\n\r\n", 400),
        CorpusCase("Host with a port", "GET / HTTP/1.1\r\nHost: example.com:8080\r\n\r\n", .ok),
        CorpusCase("Host with an IPv4 address", "GET / HTTP/1.1\r\nHost: 127.0.0.1:80\r\n\r\n", .ok),
        CorpusCase("Host with an IPv6 literal", "GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n", .ok),
        CorpusCase("Host with an underscore", "GET / HTTP/1.1\r\nHost: my_host\r\n\r\n", .ok),
        CorpusCase("Host with a trailing dot", "GET / HTTP/1.1\r\nHost: example.com.\r\n\r\n", .ok),
        CorpusCase("Host after a tab", "GET / HTTP/1.1\r\nHost:\texample.com\t\r\n\r\n", .ok),
        CorpusCase("Host with a percent-escape", "GET / HTTP/1.1\r\nHost: ex%41mple.com\r\n\r\n", .ok),
        CorpusCase("Host with an unclosed IPv6 literal", "GET / HTTP/1.1\r\nHost: [::1\r\n\r\n", 400),
        CorpusCase("Host with a space", "GET / HTTP/1.1\r\nHost: exa mple.com\r\n\r\n", 400),
        CorpusCase("Host with a path", "GET / HTTP/1.1\r\nHost: example.com/a\r\n\r\n", 400),
        CorpusCase("Host with userinfo", "GET / HTTP/1.1\r\nHost: user@example.com\r\n\r\n", 400),
        CorpusCase("Host with a non-numeric port", "GET / HTTP/1.1\r\nHost: example.com:http\r\n\r\n", 400),
        CorpusCase("Host with a six-digit port", "GET / HTTP/1.1\r\nHost: example.com:123456\r\n\r\n", 400),
        CorpusCase("Host as a list", "GET / HTTP/1.1\r\nHost: a.example, b.example\r\n\r\n", 400),
        CorpusCase("Host with a bad percent-escape", "GET / HTTP/1.1\r\nHost: ex%4mple.com\r\n\r\n", 400),
        CorpusCase("Host with UTF-8", "GET / HTTP/1.1\r\nHost: caf\u{E9}.example\r\n\r\n", 400),
        CorpusCase("Host with NUL", "GET / HTTP/1.1\r\nHost: example.com\\x00.evil\r\n\r\n", 400),
        CorpusCase("HTTP/1.0 with Host twice", "GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n", 400),
        CorpusCase("HTTP/1.0 with an invalid Host", "GET / HTTP/1.0\r\nHost: a b\r\n\r\n", 400),
    ]

    static let contentLengths: [CorpusCase] = [
        CorpusCase("Content-Length with its body", "POST / HTTP/1.1\r\n\(host)Content-Length: 5\r\n\r\nhello", .ok),
        CorpusCase("Content-Length 0", "POST / HTTP/1.1\r\n\(host)Content-Length: 0\r\n\r\n", .ok),
        CorpusCase("Content-Length on a GET", "GET / HTTP/1.1\r\n\(host)Content-Length: 3\r\n\r\nabc", .ok),
        CorpusCase(
            "Content-Length with leading zeros", "POST / HTTP/1.1\r\n\(host)Content-Length: 005\r\n\r\nhello", .ok),
        CorpusCase("Content-Length 5, 5", "POST / HTTP/1.1\r\n\(host)Content-Length: 5, 5\r\n\r\nhello", .ok),
        CorpusCase(
            "Content-Length twice, same value",
            "POST / HTTP/1.1\r\n\(host)Content-Length: 5\r\ncontent-length: 5\r\n\r\nhello", .ok),
        CorpusCase("Content-Length between tabs", "POST / HTTP/1.1\r\n\(host)Content-Length:\t5\t\r\n\r\nhello", .ok),
        CorpusCase("Content-Length 5, 6", "POST / HTTP/1.1\r\n\(host)Content-Length: 5, 6\r\n\r\nhello!", 400),
        CorpusCase(
            "Content-Length twice, different values",
            "POST / HTTP/1.1\r\n\(host)Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", 400),
        CorpusCase(
            "Content-Length 0 then 5 (CL.CL)",
            "POST / HTTP/1.1\r\n\(host)Content-Length: 0\r\nContent-Length: 5\r\n\r\nhello", 400),
        CorpusCase("Content-Length +5", "POST / HTTP/1.1\r\n\(host)Content-Length: +5\r\n\r\nhello", 400),
        CorpusCase("Content-Length -5", "POST / HTTP/1.1\r\n\(host)Content-Length: -5\r\n\r\nhello", 400),
        CorpusCase("Content-Length -0", "POST / HTTP/1.1\r\n\(host)Content-Length: -0\r\n\r\n", 400),
        CorpusCase("Content-Length 0x5", "POST / HTTP/1.1\r\n\(host)Content-Length: 0x5\r\n\r\nhello", 400),
        CorpusCase("Content-Length 5.0", "POST / HTTP/1.1\r\n\(host)Content-Length: 5.0\r\n\r\nhello", 400),
        CorpusCase("Content-Length 5 5", "POST / HTTP/1.1\r\n\(host)Content-Length: 5 5\r\n\r\nhello", 400),
        CorpusCase("Content-Length 1e3", "POST / HTTP/1.1\r\n\(host)Content-Length: 1e3\r\n\r\n", 400),
        CorpusCase("empty Content-Length", "POST / HTTP/1.1\r\n\(host)Content-Length:\r\n\r\n", 400),
        CorpusCase(
            "Content-Length 5 with a trailing comma", "POST / HTTP/1.1\r\n\(host)Content-Length: 5,\r\n\r\nhello", 400),
        CorpusCase("quoted Content-Length", "POST / HTTP/1.1\r\n\(host)Content-Length: \"5\"\r\n\r\nhello", 400),
        CorpusCase("Content-Length with NUL", "POST / HTTP/1.1\r\n\(host)Content-Length: 5\\x00\r\n\r\nhello", 400),
        CorpusCase("Content-Length with VT", "POST / HTTP/1.1\r\n\(host)Content-Length:\\x0b5\r\n\r\nhello", 400),
        CorpusCase(
            "Content-Length in Arabic digits", "POST / HTTP/1.1\r\n\(host)Content-Length: \u{0665}\r\n\r\nhello", 400),
        CorpusCase(
            "Content-Length 2^64", "POST / HTTP/1.1\r\n\(host)Content-Length: 18446744073709551616\r\n\r\nhello", 400),
        CorpusCase(
            "Content-Length 2^64 - 1", "POST / HTTP/1.1\r\n\(host)Content-Length: 18446744073709551615\r\n\r\n", 400),
        CorpusCase(
            "Content-Length of twenty nines", "POST / HTTP/1.1\r\n\(host)Content-Length: 99999999999999999999\r\n\r\n",
            400),
        CorpusCase("Content-Length 2^63", "POST / HTTP/1.1\r\n\(host)Content-Length: 9223372036854775808\r\n\r\n", 400),
        CorpusCase(
            "Content-Length 2^63 - 1 is over the body limit",
            "POST / HTTP/1.1\r\n\(host)Content-Length: 9223372036854775807\r\n\r\n", 413),
        CorpusCase("Content-Length just over 1 MiB", "POST / HTTP/1.1\r\n\(host)Content-Length: 1048577\r\n\r\n", 413),
        CorpusCase(
            "Content-Length of 1 MiB, body not yet sent",
            "POST / HTTP/1.1\r\n\(host)Content-Length: 1048576\r\n\r\n", .incomplete(after: 0)),
        CorpusCase(
            "body shorter than Content-Length", "POST / HTTP/1.1\r\n\(host)Content-Length: 10\r\n\r\nhello",
            .incomplete(after: 0)),
        CorpusCase(
            "next request right after the body",
            "POST / HTTP/1.1\r\n\(host)Content-Length: 5\r\n\r\nhelloGET / HTTP/1.1\r\n\(host)\r\n", .requests(2)),
        CorpusCase(
            "a request inside the body stays body",
            "POST / HTTP/1.1\r\n\(host)Content-Length: 35\r\n\r\nGET /admin HTTP/1.1\r\nHost: evil\r\n\r\n", .ok),
        CorpusCase(
            "Content_Length is not Content-Length", "POST / HTTP/1.1\r\n\(host)Content_Length: 5\r\n\r\nhello", 411),
        CorpusCase(
            "Content-Length with a space before the colon",
            "POST / HTTP/1.1\r\n\(host)Content-Length : 5\r\n\r\nhello", 400),
    ]

    static let transferEncodings: [CorpusCase] = [
        CorpusCase("chunked", "\(chunkedPost)5\r\nhello\r\n0\r\n\r\n", .ok),
        CorpusCase("Chunked", "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: Chunked\r\n\r\n0\r\n\r\n", .ok),
        CorpusCase("CHUNKED", "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: CHUNKED\r\n\r\n0\r\n\r\n", .ok),
        CorpusCase("tab before chunked", "POST / HTTP/1.1\r\n\(host)Transfer-Encoding:\tchunked\r\n\r\n0\r\n\r\n", .ok),
        CorpusCase("tab after chunked", "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\t\r\n\r\n0\r\n\r\n", .ok),
        CorpusCase(
            "no space before chunked", "POST / HTTP/1.1\r\n\(host)Transfer-Encoding:chunked\r\n\r\n0\r\n\r\n", .ok),
        CorpusCase(
            "mixed-case field name", "POST / HTTP/1.1\r\n\(host)tRANSFER-eNCODING: chunked\r\n\r\n0\r\n\r\n", .ok),
        CorpusCase(
            "empty element before chunked", "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: , chunked\r\n\r\n0\r\n\r\n",
            .ok),
        CorpusCase(
            "chunked on a GET", "GET / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n\r\n", .ok),
        CorpusCase(
            "space before the Transfer-Encoding colon",
            "POST / HTTP/1.1\r\n\(host)Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n", 400),
        CorpusCase(
            "tab before the Transfer-Encoding colon",
            "POST / HTTP/1.1\r\n\(host)Transfer-Encoding\t: chunked\r\n\r\n0\r\n\r\n", 400),
        CorpusCase(
            "vertical tab before chunked",
            "POST / HTTP/1.1\r\n\(host)Transfer-Encoding:\\x0bchunked\r\n\r\n0\r\n\r\n", 400),
        CorpusCase(
            "vertical tab after chunked",
            "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\\x0b\r\n\r\n0\r\n\r\n", 400),
        CorpusCase(
            "form feed before chunked", "POST / HTTP/1.1\r\n\(host)Transfer-Encoding:\\x0cchunked\r\n\r\n0\r\n\r\n",
            400),
        CorpusCase(
            "NUL after chunked", "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\\x00\r\n\r\n0\r\n\r\n", 400),
        CorpusCase(
            "NUL before chunked", "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: \\x00chunked\r\n\r\n0\r\n\r\n", 400),
        CorpusCase(
            "NUL in the field name", "POST / HTTP/1.1\r\n\(host)Transfer-Encoding\\x00: chunked\r\n\r\n0\r\n\r\n", 400),
        CorpusCase(
            "double-quoted chunked", "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: \"chunked\"\r\n\r\n0\r\n\r\n", 400),
        CorpusCase(
            "single-quoted chunked is an unknown token",
            "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: 'chunked'\r\n\r\n0\r\n\r\n", 501),
        CorpusCase(
            "chunked, chunked", "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n", 400),
        CorpusCase(
            "chunked on two lines",
            "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
        CorpusCase("xchunked", "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n", 501),
        CorpusCase("chunked-false", "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked-false\r\n\r\n0\r\n\r\n", 501),
        CorpusCase(
            "chunked with UTF-8 after it",
            "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\u{E9}\r\n\r\n0\r\n\r\n", 400),
        CorpusCase(
            "chunked with 0xFF after it", "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\\xFF\r\n\r\n0\r\n\r\n",
            400),
        // U+212A KELVIN SIGN lower-cases to "k" in Unicode; a coding must be an ASCII token first.
        CorpusCase(
            "chunked spelt with a Kelvin sign",
            "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chun\u{212A}ed\r\n\r\n0\r\n\r\n", 400),
        CorpusCase("gzip, chunked", "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501),
        CorpusCase("chunked, gzip", "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n", 400),
        CorpusCase("identity", "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: identity\r\n\r\n", 501),
        CorpusCase("gzip alone", "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: gzip\r\n\r\n", 501),
        // A token followed by junk reads as that (unknown) coding: refused either way.
        CorpusCase("ch unked", "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: ch unked\r\n\r\n0\r\n\r\n", 400),
        CorpusCase(
            "chunked with a parameter", "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked;q=1\r\n\r\n0\r\n\r\n", 400
        ),
        CorpusCase("empty Transfer-Encoding", "POST / HTTP/1.1\r\n\(host)Transfer-Encoding:\r\n\r\n", 400),
        CorpusCase("only commas", "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: , ,\r\n\r\n", 400),
        CorpusCase(
            "CL.TE: Content-Length then chunked",
            "POST / HTTP/1.1\r\n\(host)Content-Length: 13\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nSMUGGLED",
            400),
        CorpusCase(
            "TE.CL: chunked then a short Content-Length",
            "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n"
                + "5c\r\nGPOST / HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                + "Content-Length: 15\r\n\r\nx=1\r\n0\r\n\r\n", 400),
        CorpusCase(
            "TE.TE: chunked then an unknown coding on another line",
            "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\nTransfer-encoding: cow\r\n\r\n0\r\n\r\n", 400),
        CorpusCase(
            "TE.TE: an unknown coding then chunked",
            "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: cow\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 501),
        CorpusCase(
            "xchunked with Content-Length",
            "POST / HTTP/1.1\r\n\(host)Content-Length: 5\r\nTransfer-Encoding: xchunked\r\n\r\nhello", 400),
        CorpusCase(
            "identity with Content-Length",
            "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: identity\r\nContent-Length: 5\r\n\r\nhello", 400),
        CorpusCase(
            "obfuscated Transfer-Encoding with Content-Length",
            "POST / HTTP/1.1\r\n\(host)Content-Length: 5\r\nTransfer-Encoding: \\x0bchunked\r\n\r\nhello", 400),
        CorpusCase(
            "Transfer-Encoding in HTTP/1.0",
            "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 400),
        CorpusCase(
            "Transfer-Encoding and Content-Length in HTTP/1.0",
            "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\nhello", 400),
        CorpusCase(
            "Transfer_Encoding is just another field",
            "POST / HTTP/1.1\r\n\(host)Transfer_Encoding: chunked\r\nContent-Length: 5\r\n\r\nhello", .ok),
        CorpusCase(
            "chunked body then the next request",
            "\(chunkedPost)5\r\nhello\r\n0\r\n\r\nGET /next HTTP/1.1\r\n\(host)\r\n", .requests(2)),
    ]

    static let chunks: [CorpusCase] = [
        CorpusCase("chunk size 0x5", "\(chunkedPost)0x5\r\nhello\r\n0\r\n\r\n", 400),
        CorpusCase("chunk size +5", "\(chunkedPost)+5\r\nhello\r\n0\r\n\r\n", 400),
        CorpusCase("chunk size -5", "\(chunkedPost)-5\r\nhello\r\n0\r\n\r\n", 400),
        CorpusCase("space before the chunk size", "\(chunkedPost) 5\r\nhello\r\n0\r\n\r\n", 400),
        CorpusCase("space after the chunk size", "\(chunkedPost)5 \r\nhello\r\n0\r\n\r\n", 400),
        CorpusCase("tab after the chunk size", "\(chunkedPost)5\t\r\nhello\r\n0\r\n\r\n", 400),
        CorpusCase("semicolon without an extension", "\(chunkedPost)5;\r\nhello\r\n0\r\n\r\n", 400),
        CorpusCase("chunk size of eighteen fs", "\(chunkedPost)ffffffffffffffffff\r\nhello\r\n0\r\n\r\n", 400),
        CorpusCase("chunk size 2^64 - 1", "\(chunkedPost)ffffffffffffffff\r\nhello\r\n0\r\n\r\n", 400),
        CorpusCase("chunk size 2^64", "\(chunkedPost)10000000000000000\r\nhello\r\n0\r\n\r\n", 400),
        CorpusCase("chunk size 2^63 - 1 is over the body limit", "\(chunkedPost)7fffffffffffffff\r\n", 413),
        CorpusCase("chunk size just over 1 MiB", "\(chunkedPost)100001\r\n", 413),
        CorpusCase("non-hex chunk size", "\(chunkedPost)g\r\nhello\r\n0\r\n\r\n", 400),
        CorpusCase("chunk size with an underscore", "\(chunkedPost)1_0\r\nhello\r\n0\r\n\r\n", 400),
        CorpusCase("empty chunk size line", "\(chunkedPost)\r\nhello\r\n0\r\n\r\n", 400),
        CorpusCase("NUL after the chunk size", "\(chunkedPost)5\\x00\r\nhello\r\n0\r\n\r\n", 400),
        CorpusCase("upper-case hex chunk size", "\(chunkedPost)A\r\n0123456789\r\n0\r\n\r\n", .ok),
        CorpusCase("lower-case hex chunk size", "\(chunkedPost)a\r\n0123456789\r\n0\r\n\r\n", .ok),
        CorpusCase("chunk size with leading zeros", "\(chunkedPost)0005\r\nhello\r\n0\r\n\r\n", .ok),
        CorpusCase(
            "chunk size with thirty leading zeros",
            "\(chunkedPost)0000000000000000000000000000005\r\nhello\r\n0\r\n\r\n",
            .ok),
        CorpusCase("chunk extension name", "\(chunkedPost)5;ext\r\nhello\r\n0\r\n\r\n", .ok),
        CorpusCase("chunk extension with a token", "\(chunkedPost)5;ext=val\r\nhello\r\n0\r\n\r\n", .ok),
        CorpusCase("chunk extension with a quoted string", "\(chunkedPost)5;ext=\"a b;c\"\r\nhello\r\n0\r\n\r\n", .ok),
        CorpusCase("chunk extension with an escaped quote", "\(chunkedPost)5;e=\"\\\"\"\r\nhello\r\n0\r\n\r\n", .ok),
        CorpusCase("chunk extension with whitespace", "\(chunkedPost)5 ; e = v\r\nhello\r\n0\r\n\r\n", .ok),
        CorpusCase("several chunk extensions", "\(chunkedPost)5;a;b=c;d=\"e\"\r\nhello\r\n0\r\n\r\n", .ok),
        CorpusCase("unterminated quoted extension", "\(chunkedPost)5;e=\"abc\r\nhello\r\n0\r\n\r\n", 400),
        CorpusCase("extension without a value", "\(chunkedPost)5;e=\r\nhello\r\n0\r\n\r\n", 400),
        CorpusCase("extension without a name", "\(chunkedPost)5;=v\r\nhello\r\n0\r\n\r\n", 400),
        CorpusCase("extension value with a space", "\(chunkedPost)5;e=v w\r\nhello\r\n0\r\n\r\n", 400),
        CorpusCase("NUL in a quoted extension", "\(chunkedPost)5;e=\"a\\x00\"\r\nhello\r\n0\r\n\r\n", 400),
        CorpusCase("control byte in a token extension", "\(chunkedPost)5;e=a\\x01\r\nhello\r\n0\r\n\r\n", 400),
        CorpusCase(
            "chunk size line over its limit",
            "\(chunkedPost)5;e=" + String(repeating: "x", count: 4100) + "\r\nhello\r\n0\r\n\r\n", 400),
        CorpusCase("chunk data longer than its size", "\(chunkedPost)5\r\nhello!\r\n0\r\n\r\n", 400),
        CorpusCase("chunk data shorter than its size", "\(chunkedPost)5\r\nhel\r\n0\r\n\r\n", 400),
        CorpusCase("chunk data followed by LF", "\(chunkedPost)5\r\nhello\n0\r\n\r\n", 400),
        CorpusCase("chunk data followed by CR and a letter", "\(chunkedPost)5\r\nhello\rX0\r\n\r\n", 400),
        CorpusCase("chunk size line ended by LF", "\(chunkedPost)5\nhello\r\n0\r\n\r\n", 400),
        CorpusCase("chunk data holding CRLFs", "\(chunkedPost)4\r\n\r\n\r\n\r\n0\r\n\r\n", .ok),
        CorpusCase("last chunk without the final CRLF", "\(chunkedPost)5\r\nhello\r\n0\r\n", .incomplete(after: 0)),
        CorpusCase("last chunk with an extension", "\(chunkedPost)5\r\nhello\r\n0;e=1\r\n\r\n", .ok),
        CorpusCase("last chunk 000", "\(chunkedPost)5\r\nhello\r\n000\r\n\r\n", .ok),
        CorpusCase("data after the last chunk", "\(chunkedPost)0\r\nhello\r\n\r\n", 400),
        CorpusCase("trailer field", "\(chunkedPost)5\r\nhello\r\n0\r\nX-Checksum: 1\r\n\r\n", .ok),
        CorpusCase("Content-Length in the trailers", "\(chunkedPost)5\r\nhello\r\n0\r\nContent-Length: 5\r\n\r\n", 400),
        CorpusCase(
            "Transfer-Encoding in the trailers", "\(chunkedPost)0\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
        CorpusCase("Host in the trailers", "\(chunkedPost)0\r\nHost: evil.example\r\n\r\n", 400),
        CorpusCase("obs-fold in the trailers", "\(chunkedPost)0\r\nX-A: 1\r\n 2\r\n\r\n", 400),
        CorpusCase("bad name in the trailers", "\(chunkedPost)0\r\nX A: 1\r\n\r\n", 400),
        CorpusCase("bare LF in the trailers", "\(chunkedPost)0\r\nX-A: 1\n\r\n", 400),
    ]

    static let semantics: [CorpusCase] = [
        CorpusCase(
            "Expect: 100-continue", "POST / HTTP/1.1\r\n\(host)Expect: 100-continue\r\nContent-Length: 5\r\n\r\nhello",
            .ok),
        CorpusCase(
            "Expect: 100-Continue", "POST / HTTP/1.1\r\n\(host)Expect: 100-Continue\r\nContent-Length: 5\r\n\r\nhello",
            .ok),
        CorpusCase("empty Expect", "GET / HTTP/1.1\r\n\(host)Expect:\r\n\r\n", .ok),
        CorpusCase("Expect: 200-ok", "GET / HTTP/1.1\r\n\(host)Expect: 200-ok\r\n\r\n", 417),
        CorpusCase("Expect with an extra member", "GET / HTTP/1.1\r\n\(host)Expect: 100-continue, x\r\n\r\n", 417),
        CorpusCase("unknown Expect in HTTP/1.0", "GET / HTTP/1.0\r\nExpect: whatever\r\n\r\n", .ok),
        CorpusCase("HTTP/1.0 keep-alive", "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", .ok),
        CorpusCase("Connection: close", "GET / HTTP/1.1\r\n\(host)Connection: close\r\n\r\n", .ok),
        CorpusCase("Upgrade is not the parser's business", "GET / HTTP/1.1\r\n\(host)Upgrade: h2c\r\n\r\n", .ok),
        CorpusCase("POST without a length", "POST / HTTP/1.1\r\n\(host)\r\n", 411),
        CorpusCase("PUT without a length", "PUT / HTTP/1.1\r\n\(host)\r\n", 411),
        CorpusCase("PATCH without a length", "PATCH / HTTP/1.1\r\n\(host)\r\n", 411),
        CorpusCase("HTTP/1.0 POST without a length", "POST / HTTP/1.0\r\n\r\n", 411),
        CorpusCase("lower-case post without a length", "post / HTTP/1.1\r\n\(host)\r\n", .ok),
        CorpusCase("DELETE without a length", "DELETE / HTTP/1.1\r\n\(host)\r\n", .ok),
        CorpusCase(
            "two pipelined requests", "GET /1 HTTP/1.1\r\n\(host)\r\nGET /2 HTTP/1.1\r\n\(host)\r\n", .requests(2)),
        CorpusCase(
            "an empty line between pipelined requests",
            "GET /1 HTTP/1.1\r\n\(host)\r\n\r\nGET /2 HTTP/1.1\r\n\(host)\r\n", .requests(2)),
        CorpusCase(
            "a request then half of the next", "GET /1 HTTP/1.1\r\n\(host)\r\nGET /2 HTTP/1.1\r\nHo",
            .incomplete(after: 1)),
        CorpusCase("a request then garbage", "GET /1 HTTP/1.1\r\n\(host)\r\n\\x16\\x03\\x01\\x00\\xa5\r\n", 400),
        CorpusCase(
            "a TLS ClientHello, refused before any line end", "\\x16\\x03\\x01\\x02\\x00\\x01\\x00\\x01\\xfc\\x03\\x03",
            400),
    ]

    static let sizes: [CorpusCase] = [
        CorpusCase(
            "request line of 8 KiB", "GET /" + String(repeating: "a", count: 8192 - 14) + " HTTP/1.1\r\n\(host)\r\n",
            .ok),
        CorpusCase(
            "request line of 8 KiB + 1",
            "GET /" + String(repeating: "a", count: 8193 - 14) + " HTTP/1.1\r\n\(host)\r\n",
            414),
        CorpusCase(
            "over-long request line ending in LF",
            "GET /" + String(repeating: "a", count: 9000) + " HTTP/1.1\n\(host)\r\n", 414),
        CorpusCase("over-long request line never ending", "GET /" + String(repeating: "a", count: 9000), 414),
        CorpusCase(
            "header section over 16 KiB",
            "GET / HTTP/1.1\r\n\(host)"
                + String(repeating: "X-Pad: " + String(repeating: "p", count: 200) + "\r\n", count: 82)
                + "\r\n", 431),
        CorpusCase(
            "one field line over 16 KiB",
            "GET / HTTP/1.1\r\n\(host)X: " + String(repeating: "v", count: 17 * 1024) + "\r\n\r\n", 431),
        CorpusCase(
            "over-long field line ending in LF",
            "GET / HTTP/1.1\r\n\(host)X: " + String(repeating: "v", count: 17 * 1024) + "\n\r\n", 431),
        CorpusCase(
            "100 header fields", "GET / HTTP/1.1\r\n\(host)" + (1..<100).map { "X-\($0): v\r\n" }.joined() + "\r\n", .ok
        ),
        CorpusCase(
            "101 header fields", "GET / HTTP/1.1\r\n\(host)" + (1...100).map { "X-\($0): v\r\n" }.joined() + "\r\n",
            431),
        CorpusCase(
            "101 trailer fields", chunkedPost + "0\r\n" + (0...100).map { "X-\($0): v\r\n" }.joined() + "\r\n", 431),
    ]

    static let cases: [CorpusCase] =
        requestLine + versions + targets + lines + fieldNames + fieldValues + hosts + contentLengths
        + transferEncodings + chunks + semantics + sizes
}

@Suite("Request parser corpus")
struct RequestParserCorpusTests {
    @Test("The corpus holds at least 150 cases with distinct names")
    func corpusSize() {
        #expect(RequestParserCorpus.cases.count >= 150)
        let names = RequestParserCorpus.cases.map(\.name)
        #expect(Set(names).count == names.count, "duplicate names")
    }

    @Test("Each corpus request gets its expected outcome at every byte split", arguments: RequestParserCorpus.cases)
    func corpusCase(_ entry: CorpusCase) {
        let outcome = ParserHarness.outcomeAtEverySplit(entry.bytes)
        switch entry.expected {
        case .ok:
            #expect(outcome.single != nil, "expected one complete request, got \(outcome)")
        case .requests(let n):
            #expect(
                outcome == .requests(outcome.requests, incomplete: false) && outcome.requests.count == n, "\(outcome)")
        case .incomplete(let n):
            #expect(
                outcome == .requests(outcome.requests, incomplete: true) && outcome.requests.count == n, "\(outcome)")
        case .status(let status):
            #expect(outcome.status == status, "expected \(status), got \(outcome)")
        }
    }
}
