import CSystemd
import Glibc
import Logging
import TaskhookPosix

/// A swift-log handler that writes structured records to the systemd journal with
/// sd_journal_sendv: MESSAGE, PRIORITY, SYSLOG_IDENTIFIER, CODE_FILE/LINE/FUNC, and every metadata
/// key as an upper-case field (task_id → TASK_ID), so `journalctl TASK_ID=…` finds a delivery.
public struct JournaldLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    private let identifier: String

    public init(identifier: String) { self.identifier = identifier }

    /// Whether the process runs under systemd with its output going to the journal.
    public static func isAvailable(_ environment: [String: String]) -> Bool {
        environment["JOURNAL_STREAM"] != nil && FileSystem.isWritable("/run/systemd/journal/socket")
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var all = metadata
        if let extra = event.metadata { all.merge(extra) { $1 } }
        let lines = Self.fields(
            identifier: identifier, level: event.level, message: "\(event.message)", metadata: all, file: event.file,
            function: event.function, line: event.line)
        // One buffer holding every field, and the vectors built and used inside one closure:
        // a pointer taken from withUnsafeMutableBytes is valid only inside it.
        var bytes: [UInt8] = []
        var ends: [Int] = []
        for line in lines {
            bytes += line.utf8
            ends.append(bytes.count)
        }
        bytes.withUnsafeMutableBytes { raw in
            var start = 0
            let vectors = ends.map { end in
                defer { start = end }
                return iovec(iov_base: raw.baseAddress! + start, iov_len: end - start)
            }
            _ = sd_journal_sendv(vectors, Int32(vectors.count))
        }
    }

    /// The journal fields of one record, `NAME=value` each.
    public static func fields(
        identifier: String, level: Logger.Level, message: String, metadata: Logger.Metadata, file: String,
        function: String, line: UInt
    ) -> [String] {
        var fields = [
            "MESSAGE=\(message)", "PRIORITY=\(priority(level))", "SYSLOG_IDENTIFIER=\(identifier)", "CODE_FILE=\(file)",
            "CODE_LINE=\(line)", "CODE_FUNC=\(function)",
        ]
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
            guard let name = fieldName(key) else { continue }
            fields.append("\(name)=\(value)")
        }
        return fields
    }

    /// `task_id` → `TASK_ID`; journal field names are upper-case letters, digits and '_', and
    /// do not start with '_' (those are the journal's own). Names that cannot be made so are dropped.
    static func fieldName(_ key: String) -> String? {
        var name = ""
        for scalar in key.unicodeScalars {
            switch scalar {
            case "a"..."z": name.unicodeScalars.append(Unicode.Scalar(scalar.value - 32)!)
            case "A"..."Z", "0"..."9", "_": name.unicodeScalars.append(scalar)
            case "-", ".": name.append("_")
            default: return nil
            }
        }
        while name.hasPrefix("_") { name.removeFirst() }
        guard let first = name.first, !first.isNumber, name.count <= 64 else { return nil }
        if ["MESSAGE", "PRIORITY", "SYSLOG_IDENTIFIER", "CODE_FILE", "CODE_LINE", "CODE_FUNC"].contains(name) {
            return "META_" + name
        }
        return name
    }

    /// syslog priorities: 7 debug … 2 critical.
    static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }
}
