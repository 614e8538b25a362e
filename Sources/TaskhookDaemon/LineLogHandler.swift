import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// One line per record on stderr: `LEVEL message key=value …`, keys sorted. Plain enough for
/// people and for tests that wait for `listening … address=`.
public struct LineLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    private let label: String

    public init(label: String) { self.label = label }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var all = metadata
        if let extra = event.metadata {
            if all.isEmpty { all = extra } else { all.merge(extra) { $1 } }
        }
        var line = event.level.rawValue.uppercased()
        line.reserveCapacity(128)
        line += " "
        line += event.message.description
        for key in all.keys.sorted() {
            line += " "
            line += key
            line += "="
            line += Self.quoted(all[key]!.description)
        }
        line += "\n"
        // One write(2) per line, so lines from threads never interleave.
        var bytes = Array(line.utf8)
        _ = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress, $0.count) }
    }

    static func quoted(_ value: String) -> String {
        value.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" }) || value.isEmpty
            ? "\"" + value.split(separator: "\"", omittingEmptySubsequences: false).joined(separator: "\\\"") + "\""
            : value
    }
}
