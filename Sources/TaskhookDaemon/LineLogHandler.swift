import Logging
import TaskhookPosix

/// One line per record on stderr: `LEVEL message key=value …`, keys sorted. Plain enough for
/// people and for tests that wait for `listening … address=`.
public struct LineLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    private let label: String
    /// Internal so `DeliveryLog` can format its lines straight into it.
    let output: LineLogOutput

    public init(label: String, output: LineLogOutput = .standardError) {
        self.label = label
        self.output = output
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var all = metadata
        if let extra = event.metadata {
            if all.isEmpty { all = extra } else { all.merge(extra) { $1 } }
        }
        var line: [UInt8] = []
        line.reserveCapacity(192)
        Self.appendStart(level: event.level, message: event.message.description, to: &line)
        for (key, value) in all.sorted(by: { $0.key < $1.key }) {
            Self.appendField(key, value.description, to: &line)
        }
        line.append(UInt8(ascii: "\n"))
        output.write(line, urgent: event.level >= .warning)
    }

    /// `LEVEL message`, the start of every line.
    static func appendStart(level: Logger.Level, message: String, to line: inout [UInt8]) {
        for byte in level.rawValue.utf8 {
            line.append(byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z") ? byte - 32 : byte)
        }
        line.append(UInt8(ascii: " "))
        line.append(contentsOf: message.utf8)
    }

    /// ` key=value`, the value quoted when it must be.
    static func appendField(_ key: String, _ value: String, to line: inout [UInt8]) {
        line.append(UInt8(ascii: " "))
        line.append(contentsOf: key.utf8)
        line.append(UInt8(ascii: "="))
        appendQuoted(value, to: &line)
    }

    /// ` key=123`: a number needs no quoting, nor a String to be written.
    static func appendField(_ key: String, _ value: UInt64, to line: inout [UInt8]) {
        line.append(UInt8(ascii: " "))
        line.append(contentsOf: key.utf8)
        line.append(UInt8(ascii: "="))
        var unit: UInt64 = 1
        while value / unit >= 10 { unit *= 10 }
        repeat {
            line.append(UInt8(ascii: "0") + UInt8(value / unit % 10))
            unit /= 10
        } while unit > 0
    }

    static func quoted(_ value: String) -> String {
        var bytes: [UInt8] = []
        appendQuoted(value, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The value as is, or in double quotes (inner ones escaped) when it is empty or holds a
    /// space, a quote or `=`.
    static func appendQuoted(_ value: String, to line: inout [UInt8]) {
        // A native String's bytes are contiguous: scanned and copied as a buffer, not byte by
        // byte through the UTF-8 view (five values of every callback's line).
        if value.utf8.withContiguousStorageIfAvailable({ appendQuoted(bytes: $0, to: &line) }) == nil {
            appendQuoted(bytes: Array(value.utf8), to: &line)
        }
    }

    private static func appendQuoted(bytes value: some Collection<UInt8>, to line: inout [UInt8]) {
        let plain =
            !value.isEmpty
            && !value.contains { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "=") }
        if plain {
            line.append(contentsOf: value)
            return
        }
        line.append(UInt8(ascii: "\""))
        for byte in value {
            if byte == UInt8(ascii: "\"") { line.append(UInt8(ascii: "\\")) }
            line.append(byte)
        }
        line.append(UInt8(ascii: "\""))
    }
}
