/// Where a secret or key comes from: `{credential: NAME}`, `{file: PATH}`, `{env: NAME}` or
/// `{value: "…"}` in the configuration. The daemon reads it at start and on reload; a profile only
/// holds it.
public enum SecretSource: Sendable, Equatable, CustomStringConvertible {
    /// `$CREDENTIALS_DIRECTORY/<name>` (systemd `LoadCredential=`).
    case credential(String)
    case file(String)
    case environment(String)
    /// Inline in the configuration file: warned about at every start.
    case value(String)

    public var description: String {
        switch self {
        case .credential(let name): "credential \(name)"
        case .file(let path): "file \(path)"
        case .environment(let name): "environment variable \(name)"
        case .value: "inline value"
        }
    }
}
