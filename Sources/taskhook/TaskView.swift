import Foundation
import Glibc

/// A task as the control API shows it. At the end of a wait for a task the daemon has never
/// heard of, only `id`, `known: false` and `terminal: false` are present.
struct TaskView: Decodable {
    struct Delivery: Decodable {
        var sequence: Int64
        var status: String
        var time: Int64
        var applied: Bool
        var deliveryID: String?

        enum CodingKeys: String, CodingKey {
            case sequence, status, time, applied
            case deliveryID = "delivery_id"
        }
    }

    var id: String
    var known: Bool?
    var provider: String?
    var status: String?
    var terminal: Bool
    var results: [String]?
    var error: String?
    var firstSeen: Int64?
    var updated: Int64?
    var deliveries: [Delivery]?

    enum CodingKeys: String, CodingKey {
        case id, known, provider, status, terminal, results, error, deliveries
        case firstSeen = "first_seen"
        case updated
    }

    /// The daemon has a record of the task.
    var isKnown: Bool { known != false && status != nil }
    var isCompleted: Bool { terminal && status == "completed" }
    /// What to call its state in a sentence or a status line.
    var statusText: String { isKnown ? status ?? "unknown" : "not yet seen" }

    init(unknown id: String) {
        self.id = id
        known = false
        terminal = false
    }

    static func decode(_ body: [UInt8]) throws(ControlError) -> TaskView {
        do {
            return try decodeJSON(TaskView.self, from: body)
        } catch {
            throw .broken("taskhookd answered with JSON this command does not understand: \(error)")
        }
    }
}

func decodeJSON<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
    try JSONDecoder().decode(type, from: Data(bytes))
}

/// The control API's times (milliseconds since the epoch) as ISO-8601 UTC, to the millisecond.
func isoTime(milliseconds: Int64) -> String {
    var seconds = time_t(milliseconds.quotientFloor(1000))
    let millis = Int(milliseconds - Int64(seconds) * 1000)
    var parts = tm()
    gmtime_r(&seconds, &parts)
    func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
    let fraction = millis < 10 ? "00\(millis)" : millis < 100 ? "0\(millis)" : "\(millis)"
    return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T\(two(parts.tm_hour)):"
        + "\(two(parts.tm_min)):\(two(parts.tm_sec)).\(fraction)Z"
}

extension Int64 {
    fileprivate func quotientFloor(_ divisor: Int64) -> Int64 {
        let q = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? q - 1 : q
    }
}

/// A short elapsed time for people: `850ms`, `42s`, `3m05s`, `2h07m`.
func elapsedText(_ duration: Duration) -> String {
    let ms = duration.milliseconds
    if ms < 1000 { return "\(ms)ms" }
    let s = ms / 1000
    func two(_ n: Int64) -> String { n < 10 ? "0\(n)" : "\(n)" }
    if s < 10, ms % 1000 >= 100 { return "\(s).\(ms % 1000 / 100)s" }
    if s < 60 { return "\(s)s" }
    if s < 3600 { return "\(s / 60)m\(two(s % 60))s" }
    return "\(s / 3600)h\(two(s / 60 % 60))m"
}

/// The raw text of each element of the array named `key` in a JSON object, without parsing
/// the elements: `tasks --json` prints each task exactly as the daemon wrote it.
func rawArrayElements(named key: String, in bytes: [UInt8]) -> [ArraySlice<UInt8>]? {
    let quote = UInt8(ascii: "\"")
    let backslash = UInt8(ascii: "\\")
    let target = Array(key.utf8)
    var depth = 0
    var inString = false
    var escaped = false
    var stringStart = 0
    var lastString: ArraySlice<UInt8> = []
    var currentKey: ArraySlice<UInt8>?
    var capturing = false
    var elementStart: Int?
    var elements: [ArraySlice<UInt8>] = []
    func trimmed(_ slice: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var slice = slice
        while let last = slice.last, [9, 10, 13, 32].contains(last) { slice.removeLast() }
        return slice
    }
    for (i, byte) in bytes.enumerated() {
        if inString {
            if escaped {
                escaped = false
            } else if byte == backslash {
                escaped = true
            } else if byte == quote {
                inString = false
                if depth == 1 { lastString = bytes[(stringStart + 1)..<i] }
            }
            continue
        }
        if capturing, depth == 2, elementStart == nil,
            ![9, 10, 13, 32, UInt8(ascii: ","), UInt8(ascii: "]")].contains(byte)
        {
            elementStart = i
        }
        switch byte {
        case quote:
            inString = true
            stringStart = i
        case UInt8(ascii: ":") where depth == 1:
            currentKey = lastString
        case UInt8(ascii: ","):
            if depth == 1 { currentKey = nil }
            if capturing, depth == 2, let start = elementStart {
                elements.append(trimmed(bytes[start..<i]))
                elementStart = nil
            }
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            if byte == UInt8(ascii: "["), depth == 1, let currentKey, currentKey.elementsEqual(target) {
                capturing = true
            }
            depth += 1
        case UInt8(ascii: "}"), UInt8(ascii: "]"):
            depth -= 1
            if capturing, depth == 1 {
                if let start = elementStart { elements.append(trimmed(bytes[start..<i])) }
                return elements
            }
        default:
            break
        }
    }
    return nil
}
