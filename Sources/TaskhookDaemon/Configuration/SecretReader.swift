import TaskhookPosix
import TaskhookProviders

/// Reads secrets from where the configuration says they are. Never logs their values.
public struct SecretReader: Sendable {
    public let environment: [String: String]

    public init(environment: [String: String]) { self.environment = environment }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// The secret's text, without a trailing newline (files usually end with one).
    public func read(_ source: SecretSource) throws(Failure) -> String {
        let text: String
        switch source {
        case .value(let value):
            text = value
        case .environment(let name):
            guard let value = environment[name], !value.isEmpty else {
                throw Failure(description: "environment variable \(name) is not set")
            }
            text = value
        case .file(let path):
            text = try readFile(path)
        case .credential(let name):
            guard let directory = environment["CREDENTIALS_DIRECTORY"], !directory.isEmpty else {
                throw Failure(
                    description:
                        "credential \(name): $CREDENTIALS_DIRECTORY is not set (use LoadCredential= in the unit)")
            }
            guard !name.contains("/"), name != "..", name != "." else {
                throw Failure(description: "credential \(name): a credential name cannot contain '/'")
            }
            text = try readFile(directory + "/" + name)
        }
        var trimmed = Substring(text)
        while trimmed.last == "\n" || trimmed.last == "\r" { trimmed = trimmed.dropLast() }
        guard !trimmed.isEmpty else { throw Failure(description: "\(source) is empty") }
        return String(trimmed)
    }

    public func readFile(_ path: String) throws(Failure) -> String {
        do {
            let file = try File.openForReading(path)
            defer { file.close() }
            let bytes = try file.read(count: min(try file.size(), 1 << 20), at: 0)
            return String(decoding: bytes, as: UTF8.self)
        } catch {
            throw Failure(description: "cannot read \(path): \(error.errno)")
        }
    }
}
