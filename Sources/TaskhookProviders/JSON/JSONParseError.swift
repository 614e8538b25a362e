/// Why bytes are not a JSON document, and where: "expected ',' or '}', found ']' at byte 41".
struct JSONParseError: Error, Equatable, Sendable, CustomStringConvertible {
    let reason: String
    /// Offset of the offending byte from the start of the document.
    let offset: Int

    var description: String { "\(reason) at byte \(offset)" }
}
