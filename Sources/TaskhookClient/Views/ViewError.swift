/// A control API answer whose JSON is not the shape this client reads.
public struct ViewError: Error, Equatable, CustomStringConvertible {
    public let reason: String

    public init(_ reason: String) { self.reason = reason }

    public var description: String { reason }

    /// As the waiting and listing commands report it.
    var controlError: ControlError {
        .broken("taskhookd answered with JSON this command does not understand: \(reason)")
    }
}
