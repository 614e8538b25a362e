/// The project's one JSON model: what `JSONParser` reads from a callback, a key set or a control
/// answer, and what the daemon writes in its answers and dumps.
///
/// Numbers keep their text (task ids may be integers longer than any Swift type; nothing here
/// does arithmetic on them), and objects keep their members in document order, so URLs found in
/// a payload come out in the order written and answers keep the order they were built in.
public enum JSON: Sendable, Equatable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    case null
    case bool(Bool)
    /// The number's text as written; only valid JSON number text belongs here (`integer` builds one).
    case number(String)
    case string(String)
    case array([JSON])
    /// Members in document order; a name may repeat (`subscript` then takes the last).
    case object([(key: String, value: JSON)])

    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .number(String(value)) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: JSON...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSON)...) {
        self = .object(elements.map { (key: $0.0, value: $0.1) })
    }

    /// A whole number.
    public static func integer(_ value: some BinaryInteger) -> JSON { .number(String(value)) }

    public static func optional(_ value: String?) -> JSON { value.map { .string($0) } ?? .null }

    public static func == (a: JSON, b: JSON) -> Bool {
        switch (a, b) {
        case (.null, .null): true
        case (.bool(let x), .bool(let y)): x == y
        case (.number(let x), .number(let y)): x == y
        case (.string(let x), .string(let y)): x == y
        case (.array(let x), .array(let y)): x == y
        case (.object(let x), .object(let y)): x.elementsEqual(y) { $0.key == $1.key && $0.value == $1.value }
        default: false
        }
    }
}

// MARK: Reading

extension JSON {
    /// Parses a whole document (see `JSONParser` for what is accepted).
    public static func parse(_ bytes: [UInt8]) throws(JSONParseError) -> JSON {
        try JSONParser.parse(bytes)
    }

    /// An object's member; when a name repeats, the last one wins (as in JavaScript and Python).
    public subscript(key: String) -> JSON? {
        guard case .object(let members) = self else { return nil }
        return members.last { $0.key == key }?.value
    }

    public var string: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    public var array: [JSON]? {
        if case .array(let elements) = self { return elements }
        return nil
    }

    public var numberText: String? {
        if case .number(let text) = self { return text }
        return nil
    }

    /// A number that is a whole number within Int64.
    public var int64: Int64? { numberText.flatMap { Int64($0) } }

    public var bool: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    public var boolText: String? { bool.map { $0 ? "true" : "false" } }

    public var isObject: Bool {
        if case .object = self { return true }
        return false
    }

    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// What kind of value this is, for reasons: "an object", "a number", …
    public var kind: String {
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
    public func forEachString(_ body: (String) -> Void) {
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

// MARK: Writing

extension JSON {
    /// The compact text form.
    public var text: String {
        var out = ""
        write(into: &out)
        return out
    }

    public var bytes: [UInt8] { Array(text.utf8) }

    public func write(into out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .number(let n): out += n
        case .string(let s): Self.quote(s, into: &out)
        case .array(let items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                item.write(into: &out)
            }
            out += "]"
        case .object(let members):
            out += "{"
            for (i, member) in members.enumerated() {
                if i > 0 { out += "," }
                Self.quote(member.key, into: &out)
                out += ":"
                member.value.write(into: &out)
            }
            out += "}"
        }
    }

    /// `s` as a JSON string literal appended to bytes (answers written without a tree).
    public static func appendQuoted(_ s: String, to out: inout [UInt8]) {
        guard needsEscaping(s) else {
            out.append(UInt8(ascii: "\""))
            out += s.utf8
            out.append(UInt8(ascii: "\""))
            return
        }
        var quoted = ""
        quote(s, into: &quoted)
        out += quoted.utf8
    }

    /// Most strings (ids, URLs, statuses) need no escaping: they can be appended whole.
    private static func needsEscaping(_ s: String) -> Bool {
        s.utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C || $0 == 0x7F || $0 == 0xE2 })
    }

    static func quote(_ s: String, into out: inout String) {
        out += "\""
        if !needsEscaping(s) {
            out += s
            out += "\""
            return
        }
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F || scalar == "\u{2028}" || scalar == "\u{2029}":
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}
