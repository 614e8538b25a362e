#if canImport(Glibc)
    import Glibc
#endif

/// Serializes responses: status line, the response's own fields, then Content-Length (always),
/// Date, Server and Connection as the connection's state requires.
public enum ResponseWriter {
    public static func serialize(
        _ response: Response, keepAlive: Bool, requestVersion: HTTPVersion, omitBody: Bool, date: String,
        into out: inout [UInt8], contentLength: Bool = true
    ) {
        out.reserveCapacity(out.count + 160 + response.body.count)
        out.append(contentsOf: "HTTP/1.1 ".utf8)
        appendDecimal(response.status.code, to: &out)
        out.append(HTTPGrammar.sp)
        out.append(contentsOf: response.status.reasonPhrase.utf8)
        out.append(contentsOf: crlf)
        for field in response.headers {
            // The writer owns the framing and connection fields; a handler cannot smuggle them in.
            if field.hasName("content-length") || field.hasName("connection") || field.hasName("transfer-encoding")
                || field.hasName("date") || field.hasName("server")
            {
                continue
            }
            appendCanonical(field.nameBytes, to: &out)
            out.append(contentsOf: ": ".utf8)
            // A value may not carry CR or LF (response splitting): they become spaces.
            for byte in field.valueBytes {
                out.append(byte == HTTPGrammar.cr || byte == HTTPGrammar.lf ? HTTPGrammar.sp : byte)
            }
            out.append(contentsOf: crlf)
        }
        if contentLength {
            out.append(contentsOf: "Content-Length: ".utf8)
            appendDecimal(response.body.count, to: &out)
            out.append(contentsOf: crlf)
        }
        out.append(contentsOf: "Date: ".utf8)
        out.append(contentsOf: date.utf8)
        out.append(contentsOf: "\r\nServer: taskhookd\r\n".utf8)
        if !keepAlive {
            out.append(contentsOf: "Connection: close\r\n".utf8)
        } else if requestVersion == .http10 {
            out.append(contentsOf: "Connection: keep-alive\r\n".utf8)
        }
        out.append(contentsOf: crlf)
        if !omitBody { out.append(contentsOf: response.body) }
    }

    /// The head of a streamed response: no Content-Length; the body ends with the connection.
    public static func serializeStreamHead(
        _ response: Response, requestVersion: HTTPVersion, date: String, into out: inout [UInt8]
    ) {
        serialize(
            response, keepAlive: false, requestVersion: requestVersion, omitBody: true, date: date, into: &out,
            contentLength: false)
    }

    public static let continueLine: [UInt8] = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)
    private static let crlf: [UInt8] = [HTTPGrammar.cr, HTTPGrammar.lf]

    /// `content-type` → `Content-Type`.
    static func appendCanonical(_ name: ArraySlice<UInt8>, to out: inout [UInt8]) {
        var upper = true
        for byte in name {
            out.append(upper ? HTTPGrammar.upper(byte) : byte)
            upper = byte == UInt8(ascii: "-")
        }
    }

    /// `value` (not negative) in decimal, most significant digit first, so nothing is reversed.
    static func appendDecimal(_ value: Int, to out: inout [UInt8]) {
        var unit = 1
        while value / unit >= 10 { unit *= 10 }
        repeat {
            out.append(UInt8(ascii: "0") + UInt8(value / unit % 10))
            unit /= 10
        } while unit > 0
    }
}

/// The IMF-fixdate for the Date header, formatted at most once a second.
public struct HTTPDate {
    private var second: Int64 = .min
    private var cached = ""

    public init() {}

    /// The header's text for a Unix time in seconds.
    public mutating func text(unixSeconds: Int64) -> String {
        if unixSeconds != second {
            second = unixSeconds
            cached = Self.format(time_t(unixSeconds))
        }
        return cached
    }

    public static func format(_ t: time_t) -> String {
        var t = t
        var tm = tm()
        gmtime_r(&t, &tm)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return
            "\(days[Int(tm.tm_wday)]), \(two(tm.tm_mday)) \(months[Int(tm.tm_mon)]) \(tm.tm_year + 1900) \(two(tm.tm_hour)):\(two(tm.tm_min)):\(two(tm.tm_sec)) GMT"
    }
}
