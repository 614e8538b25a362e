import TaskhookCore

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

extension ViewError {
    /// A control answer's body read by `read`, any problem reported as a command reports it.
    static func reading<T>(_ body: [UInt8], _ read: (JSON) throws(ViewError) -> T) throws(ControlError) -> T {
        let json: JSON
        do {
            json = try JSON.parse(body)
        } catch {
            throw ViewError("\(error)").controlError
        }
        do {
            return try read(json)
        } catch {
            throw error.controlError
        }
    }
}
