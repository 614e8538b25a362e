/// Why bytes are not a JSON document, and where: "expected ',' or '}', found ']' at byte 41".
public struct JSONParseError: Error, Equatable, Sendable, CustomStringConvertible {
    public let reason: String
    /// Offset of the offending byte from the start of the document.
    public let offset: Int

    public var description: String { "\(reason) at byte \(offset)" }
}
