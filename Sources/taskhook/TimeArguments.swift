import ArgumentParser
import Foundation
import Glibc

/// A length of time on the command line: `90s`, `10m`, `2h`, `1h30m`, `500ms`, `1.5h`, `7d`,
/// or a plain number of seconds.
struct DurationArgument: ExpressibleByArgument {
    var duration: Duration

    init?(argument: String) {
        guard let duration = Self.parse(argument) else { return nil }
        self.duration = duration
    }

    init(seconds: Int64) { duration = .seconds(seconds) }

    /// How help shows a default: `30s`, `5m`.
    var defaultValueDescription: String {
        let milliseconds = duration.milliseconds
        for (suffix, scale) in Self.units.reversed() where milliseconds % Int64(scale) == 0 && milliseconds > 0 {
            return "\(milliseconds / Int64(scale))\(suffix)"
        }
        return "0s"
    }

    static let units: [(suffix: String, milliseconds: Double)] = [
        ("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000),
    ]

    static func parse(_ argument: String) -> Duration? {
        let text = argument.trimmingCharacters(in: .whitespaces).lowercased()
        if let seconds = Double(text), text.first?.isNumber == true {
            return milliseconds(seconds * 1000)
        }
        var rest = Substring(text)
        var total = 0.0
        guard !rest.isEmpty else { return nil }
        while !rest.isEmpty {
            let number = rest.prefix { $0.isNumber || $0 == "." }
            rest = rest.dropFirst(number.count)
            let unit = rest.prefix { $0.isLetter }
            rest = rest.dropFirst(unit.count)
            guard let value = Double(number), let scale = units.first(where: { $0.suffix == unit })?.milliseconds
            else { return nil }
            total += value * scale
        }
        return milliseconds(total)
    }

    private static func milliseconds(_ value: Double) -> Duration? {
        // Up to ten years; beyond that "no limit" is what was meant.
        guard value.isFinite, value >= 0, value <= 315_360_000_000 else { return nil }
        return .milliseconds(Int64(value.rounded()))
    }
}

/// A deadline on the command line: a duration from now (`6h`, `90m`, `1d`, or seconds) or a time
/// (`2025-01-31T12:00:00Z`, `2025-01-31 12:00`; UTC unless an offset is given).
struct DeadlineArgument: ExpressibleByArgument, Equatable {
    enum Kind: Equatable {
        case after(Duration)
        case at(milliseconds: Int64)
    }

    var kind: Kind

    init?(argument: String) {
        if let duration = DurationArgument.parse(argument) {
            kind = .after(duration)
        } else if let time = TimeArgument.parseISO8601(argument.trimmingCharacters(in: .whitespaces)) {
            kind = .at(milliseconds: time)
        } else {
            return nil
        }
    }

    init(after duration: Duration) { kind = .after(duration) }

    /// Milliseconds since the epoch, counted from `now` (milliseconds) for a duration.
    func milliseconds(now: Int64) -> Int64 {
        switch kind {
        case .after(let duration): now + duration.milliseconds
        case .at(let time): time
        }
    }
}

/// `NAME=VALUE` (`--label`): the name is not empty; the value may be, and may hold `=`.
struct LabelArgument: ExpressibleByArgument {
    var name: String
    var value: String

    init?(argument: String) {
        guard let equals = argument.firstIndex(of: "="), equals != argument.startIndex else { return nil }
        name = String(argument[..<equals])
        value = String(argument[argument.index(after: equals)...])
    }
}

/// A point in time on the command line, as milliseconds since the epoch (the control API's
/// unit): an ISO-8601 time (`2025-01-31T12:00:00Z`, `2025-01-31 12:00`, `2025-01-31`; UTC unless
/// an offset is given), a duration ago (`30m`, `2h`, `7d`), or milliseconds since the epoch.
struct TimeArgument: ExpressibleByArgument {
    var milliseconds: Int64

    init?(argument: String) {
        let text = argument.trimmingCharacters(in: .whitespaces)
        if !text.isEmpty, text.allSatisfy(\.isASCIIDigit), let value = Int64(text) {
            milliseconds = value
        } else if text.contains(where: \.isLetter), !text.contains("-"), let ago = DurationArgument.parse(text) {
            milliseconds = Int64((Date().timeIntervalSince1970 * 1000).rounded()) - ago.milliseconds
        } else if let value = Self.parseISO8601(text) {
            milliseconds = value
        } else {
            return nil
        }
    }

    /// `YYYY-MM-DD[(T| )HH:MM[:SS[.fff]]][Z|±HH[:]MM]`, milliseconds since the epoch.
    static func parseISO8601(_ text: String) -> Int64? {
        var scanner = Array(text.utf8)[...]
        func number(_ digits: Int) -> Int? {
            let part = scanner.prefix(digits)
            guard part.count == digits, part.allSatisfy({ (48...57).contains($0) }) else { return nil }
            scanner = scanner.dropFirst(digits)
            return Int(String(decoding: part, as: UTF8.self))
        }
        func skip(_ character: Character) -> Bool {
            guard scanner.first == character.asciiValue else { return false }
            scanner = scanner.dropFirst()
            return true
        }
        guard let year = number(4), skip("-"), let month = number(2), skip("-"), let day = number(2),
            (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        var hour = 0
        var minute = 0
        var second = 0
        var millis = 0
        var offsetMinutes = 0
        if skip("T") || skip("t") || skip(" ") {
            guard let h = number(2), skip(":"), let m = number(2), h < 24, m < 60 else { return nil }
            hour = h
            minute = m
            if skip(":") {
                guard let s = number(2), s < 61 else { return nil }
                second = s
                if skip(".") || skip(",") {
                    let digits = scanner.prefix { (48...57).contains($0) }
                    guard !digits.isEmpty else { return nil }
                    scanner = scanner.dropFirst(digits.count)
                    millis = Int(String(decoding: (digits + [48, 48, 48]).prefix(3), as: UTF8.self)) ?? 0
                }
            }
            if skip("Z") || skip("z") {
            } else if let sign = scanner.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
                scanner = scanner.dropFirst()
                guard let oh = number(2) else { return nil }
                _ = skip(":")
                guard let om = number(2), oh < 24, om < 60 else { return nil }
                offsetMinutes = (oh * 60 + om) * (sign == UInt8(ascii: "+") ? 1 : -1)
            }
        }
        guard scanner.isEmpty else { return nil }
        var parts = tm()
        parts.tm_year = Int32(year - 1900)
        parts.tm_mon = Int32(month - 1)
        parts.tm_mday = Int32(day)
        parts.tm_hour = Int32(hour)
        parts.tm_min = Int32(minute)
        parts.tm_sec = Int32(second)
        let seconds = Int64(timegm(&parts)) - Int64(offsetMinutes * 60)
        return seconds * 1000 + Int64(millis)
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
