import Glibc
import TaskhookPosix

/// Times as people read them in the command's output.
public enum TimeText {
    /// The control API's times (milliseconds since the epoch) as ISO-8601 UTC, to the millisecond.
    public static func iso(milliseconds: Int64) -> String {
        let (quotient, remainder) = milliseconds.quotientAndRemainder(dividingBy: 1000)
        let floor = remainder < 0 ? quotient - 1 : quotient
        var seconds = time_t(floor)
        let millis = Int(milliseconds - floor * 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let fraction = millis < 10 ? "00\(millis)" : millis < 100 ? "0\(millis)" : "\(millis)"
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T\(two(parts.tm_hour)):"
            + "\(two(parts.tm_min)):\(two(parts.tm_sec)).\(fraction)Z"
    }

    /// A short elapsed time: `850ms`, `4.2s`, `42s`, `3m05s`, `2h07m`.
    public static func elapsed(_ duration: Duration) -> String {
        let ms = duration.milliseconds
        if ms < 1000 { return "\(ms)ms" }
        let s = ms / 1000
        func two(_ n: Int64) -> String { n < 10 ? "0\(n)" : "\(n)" }
        if s < 10, ms % 1000 >= 100 { return "\(s).\(ms % 1000 / 100)s" }
        if s < 60 { return "\(s)s" }
        if s < 3600 { return "\(s / 60)m\(two(s % 60))s" }
        return "\(s / 3600)h\(two(s / 60 % 60))m"
    }
}
