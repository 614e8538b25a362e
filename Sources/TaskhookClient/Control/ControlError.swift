/// Why a control request got no answer.
public enum ControlError: Error, Equatable, CustomStringConvertible {
    /// Nothing to talk to: no socket file, connection refused, an unknown host.
    case unreachable(String)
    /// A connection was made but no complete answer came: closed early, reset, timed out, garbled.
    case broken(String)

    public var description: String {
        switch self {
        case .unreachable(let reason), .broken(let reason): reason
        }
    }
}
