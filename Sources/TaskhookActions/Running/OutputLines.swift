/// A command's output cut into lines as it arrives, in any pieces: each complete line (at most
/// `maxLine` bytes; a longer one is cut) goes to the log, at most `maxLines` of them an attempt,
/// and the last few are kept as the reason a failed attempt shows.
public struct OutputLines: Sendable {
    public static let maxLine = 4096
    public static let maxLines = 1000
    static let tailLines = 3

    private var partial: [UInt8] = []
    private var logged = 0
    /// The last lines that were not blank.
    public private(set) var tail: [String] = []
    /// Lines not passed on past `maxLines`.
    public private(set) var dropped = 0

    public init() {}

    /// The lines `bytes` completes, to log.
    public mutating func feed(_ bytes: some Sequence<UInt8>) -> [String] {
        var lines: [String] = []
        for byte in bytes {
            if byte == 10 {
                take(&lines)
            } else {
                partial.append(byte)
                if partial.count >= Self.maxLine { take(&lines) }
            }
        }
        return lines
    }

    /// The output ended: a last line without its newline.
    public mutating func finish() -> [String] {
        var lines: [String] = []
        if !partial.isEmpty { take(&lines) }
        return lines
    }

    private mutating func take(_ lines: inout [String]) {
        var text = String(decoding: partial, as: UTF8.self)
        partial.removeAll(keepingCapacity: true)
        if text.hasSuffix("\r") { text.removeLast() }
        if !text.allSatisfy({ $0 == " " || $0 == "\t" }) {
            tail.append(text)
            if tail.count > Self.tailLines { tail.removeFirst() }
        }
        if logged < Self.maxLines {
            logged += 1
            lines.append(text)
        } else {
            dropped += 1
        }
    }

    /// The reason line of a failed attempt: what ended it, and the end of its output.
    public func reason(_ ending: String) -> String {
        let output = tail.joined(separator: " | ")
        let clipped = output.count > 500 ? "…" + output.suffix(499) : output
        return clipped.isEmpty ? ending : "\(ending): \(clipped)"
    }
}
