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

/// Where `LineLogHandler` writes: a descriptor, one write(2) per line by default, so lines from
/// threads never interleave.
///
/// The daemon calls `hold()` once its event loop runs: from then on, lines below warning wait
/// in memory until `flush()`, which the loop calls at the end of every iteration, so a burst of
/// callbacks costs one write, not one per callback (at ingest rates the write is most of a log
/// line's cost). Warnings and errors, and anything once 64 KiB are waiting, are written at once.
/// A crash loses at most the lines of the iteration it interrupted.
public final class LineLogOutput: @unchecked Sendable {
    // @unchecked: `buffer` and `holding` are touched only with `lock` held.
    public static let standardError = LineLogOutput(descriptor: 2)

    private let descriptor: Int32
    private let lock = ConditionLock()
    private var buffer: [UInt8] = []
    private var holding = false
    private static let limit = 64 * 1024

    public init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    /// Lines below warning wait for `flush()` until `release()`.
    public func hold() {
        lock.withLock { holding = true }
    }

    /// Writes what waits and stops holding lines back.
    public func release() {
        lock.withLock {
            holding = false
            writeBuffer()
        }
    }

    /// Writes every line waiting.
    public func flush() {
        lock.withLock { writeBuffer() }
    }

    func write(_ line: [UInt8], urgent: Bool) {
        writeLine(urgent: urgent) { $0.append(contentsOf: line) }
    }

    /// Appends one line that `format` writes straight into the waiting lines, so a line logged
    /// per callback needs no array of its own. `format` runs with the lock held: it must only
    /// append the line (ending in a newline), never log.
    func writeLine(urgent: Bool, _ format: (inout [UInt8]) -> Void) {
        lock.withLock {
            format(&buffer)
            if !holding || urgent || buffer.count >= Self.limit { writeBuffer() }
        }
    }

    /// With `lock` held. An error drops the lines: logging never blocks the daemon or fails a
    /// callback.
    private func writeBuffer() {
        guard !buffer.isEmpty else { return }
        _ = buffer.withUnsafeBytes { bytes in
            Result { () throws(SyscallError) in try FileSystem.writeAll(bytes, to: descriptor) }
        }
        buffer.removeAll(keepingCapacity: buffer.count <= Self.limit)
    }
}
