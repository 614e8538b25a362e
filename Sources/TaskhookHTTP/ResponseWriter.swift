#if canImport(Glibc)
    import Glibc
#endif

/// Serializes responses: status line, the response's own fields, then Content-Length (always),
/// Date, Server and Connection as the connection's state requires.
public enum ResponseWriter {
    public static let serverName = "taskhookd"

    public static func serialize(
        _ response: Response, keepAlive: Bool, requestVersion: HTTPVersion, omitBody: Bool, date: String,
        into out: inout [UInt8]
    ) {
        out.append(contentsOf: "HTTP/1.1 \(response.status.code) \(response.status.reasonPhrase)\r\n".utf8)
        for field in response.headers.fields {
            let name = field.name
            // The writer owns the framing and connection fields; a handler cannot smuggle them in.
            if name == "content-length" || name == "connection" || name == "transfer-encoding" || name == "date"
                || name == "server"
            {
                continue
            }
            out.append(contentsOf: canonical(name).utf8)
            out.append(contentsOf: ": ".utf8)
            out.append(contentsOf: sanitize(field.value).utf8)
            out.append(contentsOf: "\r\n".utf8)
        }
        out.append(
            contentsOf: "Content-Length: \(response.body.count)\r\nDate: \(date)\r\nServer: \(serverName)\r\n".utf8)
        if !keepAlive {
            out.append(contentsOf: "Connection: close\r\n".utf8)
        } else if requestVersion == .http1_0 {
            out.append(contentsOf: "Connection: keep-alive\r\n".utf8)
        }
        out.append(contentsOf: "\r\n".utf8)
        if !omitBody { out.append(contentsOf: response.body) }
    }

    public static let continueLine: [UInt8] = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)

    /// `content-type` → `Content-Type`.
    static func canonical(_ name: String) -> String {
        var upper = true
        return String(
            name.map { c -> Character in
                defer { upper = c == "-" }
                return upper ? Character(c.uppercased()) : c
            })
    }

    /// A field value may not carry CR or LF (response splitting); they become spaces.
    static func sanitize(_ value: String) -> String {
        value.contains(where: { $0 == "\r" || $0 == "\n" || $0 == "\r\n" })
            ? String(value.map { $0 == "\r" || $0 == "\n" || $0 == "\r\n" ? " " : $0 }) : value
    }
}

/// The IMF-fixdate for the Date header, recomputed at most once a second.
public struct HTTPDate {
    private var second: time_t = -1
    private var cached = ""

    public init() {}

    public mutating func current() -> String {
        let now = time(nil)
        if now != second {
            second = now
            cached = Self.format(now)
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
