import TaskhookPosix

/// Where the command line finds a provider's API key (`freepik-api-key`, `fal-key`, …): a file in
/// `--key-dir`, a systemd credential (`$CREDENTIALS_DIRECTORY/<name>`, `LoadCredential=`), or an
/// environment variable (`FREEPIK_API_KEY`). Never a flag's value: that would show in `ps`.
public struct APIKeySource: Sendable {
    public var keyDirectory: String?
    public var environment: [String: String]

    public init(keyDirectory: String?, environment: [String: String]) {
        self.keyDirectory = keyDirectory
        self.environment = environment
    }

    public struct Missing: Error, CustomStringConvertible {
        public let description: String
    }

    /// The environment variable a key's name maps to: `freepik-api-key` → `FREEPIK_API_KEY`.
    public static func variable(for name: String) -> String {
        String(name.uppercased().map { $0 == "-" ? "_" : $0 })
    }

    /// The key's text without a trailing newline, from the first place that has it.
    public func read(_ name: String) throws(Missing) -> String {
        var places: [String] = []
        for directory in [keyDirectory, environment["CREDENTIALS_DIRECTORY"]] {
            guard let directory, !directory.isEmpty else { continue }
            let path = directory + "/" + name
            places.append(path)
            if let text = Self.fileText(path) { return try Self.trimmed(text, from: path) }
        }
        let variable = Self.variable(for: name)
        places.append("$" + variable)
        if let value = environment[variable], !value.isEmpty { return try Self.trimmed(value, from: "$" + variable) }
        throw Missing(description: "no \(name): looked in \(places.joined(separator: ", "))")
    }

    /// The key if it is anywhere, nil if it is nowhere.
    public func find(_ name: String) -> String? { try? read(name) }

    static func trimmed(_ text: String, from place: String) throws(Missing) -> String {
        // By scalars: "\r\n" is one Character, neither "\r" nor "\n".
        var value = Substring(text).unicodeScalars
        while value.last == "\n" || value.last == "\r" { value = value.dropLast() }
        guard !value.isEmpty else { throw Missing(description: "\(place) is empty") }
        return String(value)
    }

    public static func fileText(_ path: String) -> String? {
        guard let file = try? File.openForReading(path) else { return nil }
        defer { file.close() }
        guard let size = try? file.size(), let bytes = try? file.read(count: min(size, 1 << 16), at: 0) else {
            return nil
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
