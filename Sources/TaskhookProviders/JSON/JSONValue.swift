/// A JSON document as `JSONParser` reads it. Numbers keep their text (task ids may be long integers) and
/// objects keep their members in document order, so URLs found in a payload come out in the order written.
enum JSONValue: Sendable, Equatable {
    struct Member: Sendable, Equatable {
        var key: String
        var value: JSONValue
    }

    case null
    case bool(Bool)
    case number(String)
    case string(String)
    case array([JSONValue])
    case object([Member])

    /// An object's member; when a name repeats, the last one wins (as in JavaScript and Python).
    subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.last { $0.key == key }?.value
    }

    var string: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    var array: [JSONValue]? {
        if case .array(let elements) = self { return elements }
        return nil
    }

    var numberText: String? {
        if case .number(let text) = self { return text }
        return nil
    }

    var boolText: String? {
        if case .bool(let value) = self { return value ? "true" : "false" }
        return nil
    }

    var isObject: Bool {
        if case .object = self { return true }
        return false
    }

    var isNull: Bool { self == .null }

    /// What kind of value this is, for reasons: "an object", "a number", …
    var kind: String {
        switch self {
        case .null: "null"
        case .bool(let value): value ? "true" : "false"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }

    /// Every string value (not member name) below this one, in document order.
    func forEachString(_ body: (String) -> Void) {
        switch self {
        case .string(let text): body(text)
        case .array(let elements):
            for element in elements { element.forEachString(body) }
        case .object(let members):
            for member in members { member.value.forEachString(body) }
        case .null, .bool, .number: break
        }
    }
}
