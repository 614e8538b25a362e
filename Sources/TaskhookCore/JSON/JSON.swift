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
    public var text: String { String(decoding: bytes, as: UTF8.self) }

    /// The compact text form as UTF-8, written straight into bytes: a String built by appends
    /// pays for its capacity and ASCII bookkeeping on every one, which made a 1,000-task
    /// `/v1/tasks` page take several milliseconds of the event loop.
    public var bytes: [UInt8] {
        var out: [UInt8] = []
        write(into: &out)
        return out
    }

    public func write(into out: inout [UInt8]) {
        switch self {
        case .null: Self.append("null", to: &out)
        case .bool(let b): Self.append(b ? "true" : "false", to: &out)
        case .number(let n): out += n.utf8
        case .string(let s): Self.appendQuoted(s, to: &out)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                item.write(into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (i, member) in members.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                Self.appendQuoted(member.key, to: &out)
                out.append(UInt8(ascii: ":"))
                member.value.write(into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    static func append(_ literal: StaticString, to out: inout [UInt8]) {
        out.append(contentsOf: UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
    }

    /// `s` as a JSON string literal appended to bytes.
    public static func appendQuoted(_ s: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        if needsEscaping(s) {
            appendEscaped(s, to: &out)
        } else {
            out += s.utf8
        }
        out.append(UInt8(ascii: "\""))
    }

    /// Most strings (ids, URLs, statuses) need no escaping: they can be appended whole. A loop
    /// over the contiguous UTF-8 of a native string, not the view's index stepping (several
    /// times slower over the long result URLs a task listing is mostly made of).
    private static func needsEscaping(_ s: String) -> Bool {
        func special(_ byte: UInt8) -> Bool {
            byte < 0x20 || byte == 0x22 || byte == 0x5C || byte == 0x7F || byte == 0xE2
        }
        if let found = s.utf8.withContiguousStorageIfAvailable({ $0.contains(where: special) }) { return found }
        return s.utf8.contains(where: special)
    }

    private static func appendEscaped(_ s: String, to out: inout [UInt8]) {
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": append("\\\"", to: &out)
            case "\\": append("\\\\", to: &out)
            case "\n": append("\\n", to: &out)
            case "\r": append("\\r", to: &out)
            case "\t": append("\\t", to: &out)
            case _ where scalar.value < 0x20 || scalar.value == 0x7F || scalar == "\u{2028}" || scalar == "\u{2029}":
                let hex = String(scalar.value, radix: 16)
                out += ("\\u" + String(repeating: "0", count: 4 - hex.count) + hex).utf8
            default: UTF8.encode(scalar) { out.append($0) }
            }
        }
    }
}
