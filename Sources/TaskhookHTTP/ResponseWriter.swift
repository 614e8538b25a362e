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
        append("HTTP/1.1 ", to: &out)
        appendDecimal(response.status.code, to: &out)
        out.append(HTTPGrammar.sp)
        appendUTF8(response.status.reasonPhrase, to: &out)
        append("\r\n", to: &out)
        for field in response.headers {
            // The writer owns the framing and connection fields; a handler cannot smuggle them in.
            if field.hasName("content-length") || field.hasName("connection") || field.hasName("transfer-encoding")
                || field.hasName("date") || field.hasName("server")
            {
                continue
            }
            appendCanonical(field.nameBytes, to: &out)
            append(": ", to: &out)
            appendValue(field.valueBytes, to: &out)
            append("\r\n", to: &out)
        }
        if contentLength {
            append("Content-Length: ", to: &out)
            appendDecimal(response.body.count, to: &out)
            append("\r\n", to: &out)
        }
        append("Date: ", to: &out)
        appendUTF8(date, to: &out)
        append("\r\nServer: taskhookd\r\n", to: &out)
        if !keepAlive {
            append("Connection: close\r\n", to: &out)
        } else if requestVersion == .http10 {
            append("Connection: keep-alive\r\n", to: &out)
        }
        append("\r\n", to: &out)
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

    /// A literal's bytes in one copy: appending a String's UTF-8 view goes through the generic
    /// sequence path, which cost about as much as the rest of an answer's head.
    private static func append(_ literal: StaticString, to out: inout [UInt8]) {
        out.append(contentsOf: UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
    }

    /// A String's bytes in one copy, from its contiguous UTF-8.
    private static func appendUTF8(_ text: String, to out: inout [UInt8]) {
        var text = text
        text.withUTF8 { out.append(contentsOf: $0) }
    }

    /// `content-type` → `Content-Type`. Copied whole, then changed in place: appending byte by
    /// byte checks the array's uniqueness and capacity for every byte.
    static func appendCanonical(_ name: ArraySlice<UInt8>, to out: inout [UInt8]) {
        let start = out.count
        out.append(contentsOf: name)
        out.withUnsafeMutableBufferPointer { out in
            var upper = true
            for i in start..<out.count {
                let byte = out[i]
                if upper { out[i] = HTTPGrammar.upper(byte) }
                upper = byte == UInt8(ascii: "-")
            }
        }
    }

    /// A field value, copied whole; CR and LF become spaces, for a value may not carry them
    /// (response splitting).
    static func appendValue(_ value: ArraySlice<UInt8>, to out: inout [UInt8]) {
        let start = out.count
        out.append(contentsOf: value)
        out.withUnsafeMutableBufferPointer { out in
            for i in start..<out.count where out[i] == HTTPGrammar.cr || out[i] == HTTPGrammar.lf {
                out[i] = HTTPGrammar.sp
            }
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
