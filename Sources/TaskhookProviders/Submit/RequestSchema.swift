import TaskhookCore

/// The request body a provider's create endpoint accepts, as its seed OpenAPI document states it:
/// which fields exist, their shapes, which are required. `validate` runs before any network call, so
/// a request the provider would refuse (or, worse, accept and then fail) never leaves the machine.
public struct RequestSchema: Sendable {
    public var fields: [FieldRule]
    /// Groups of fields of which at least one must be present (kling-v2-1-std: image or prompt).
    public var requiredOneOf: [[String]]

    public init(_ fields: [FieldRule], requiredOneOf: [[String]] = []) {
        self.fields = fields
        self.requiredOneOf = requiredOneOf
    }

    public func field(_ name: String) -> FieldRule? { fields.first { $0.name == name } }

    /// Every way `body` breaks this schema, in field order; empty when it is valid. `path` prefixes
    /// field names in nested objects (`dynamic_masks[0].trajectories[1].x`).
    public func validate(_ body: JSON, path: String = "") -> [SchemaRefusal] {
        guard case .object(let members) = body else {
            return [SchemaRefusal(field: path.isEmpty ? "(body)" : path, rule: "must be an object, not \(body.kind)")]
        }
        var refusals: [SchemaRefusal] = []
        let prefix = path.isEmpty ? "" : path + "."
        for member in members where field(member.key) == nil {
            refusals.append(SchemaRefusal(field: prefix + member.key, rule: "is not a field of this request"))
        }
        for rule in fields {
            if let value = body[rule.name] {
                refusals += rule.shape.validate(value, field: prefix + rule.name)
            } else if rule.required {
                refusals.append(SchemaRefusal(field: prefix + rule.name, rule: "is required"))
            }
        }
        for group in requiredOneOf where !group.contains(where: { body[$0] != nil }) {
            let names = group.map { prefix + $0 }
            refusals.append(
                SchemaRefusal(
                    field: names[0], rule: "is required when \(names.dropFirst().joined(separator: ", ")) is not given")
            )
        }
        return refusals
    }
}

/// One field of a request body.
public struct FieldRule: Sendable {
    public var name: String
    public var shape: ValueShape
    public var required: Bool

    public init(_ name: String, _ shape: ValueShape, required: Bool = false) {
        self.name = name
        self.shape = shape
        self.required = required
    }
}

/// What a field's value must look like: its JSON type and the seed's limits on it.
public indirect enum ValueShape: Sendable {
    /// Text, at most `maxLength` Unicode scalars (the seeds say "characters"; counting scalars is the
    /// stricter reading), and one of `oneOf` when given.
    case string(maxLength: Int? = nil, oneOf: [String]? = nil)
    /// Text that is an absolute URI (the seeds' `format: uri`): a scheme, a colon, and only the
    /// characters RFC 3986 allows.
    case uri
    case number(ClosedRange<Double>? = nil)
    case integer
    case array(of: ValueShape, maxItems: Int? = nil)
    case object(RequestSchema)

    public static let text = ValueShape.string()

    func validate(_ value: JSON, field: String) -> [SchemaRefusal] {
        switch self {
        case .string(let maxLength, let oneOf):
            guard let text = value.string else { return [Self.wrongType(field, "a string", value)] }
            if let oneOf, !oneOf.contains(text) {
                let allowed = oneOf.map { "\"\($0)\"" }.joined(separator: ", ")
                return [SchemaRefusal(field: field, rule: "must be one of \(allowed), not \"\(text)\"")]
            }
            if let maxLength, text.unicodeScalars.count > maxLength {
                return [
                    SchemaRefusal(
                        field: field,
                        rule: "must be at most \(maxLength) characters, not \(text.unicodeScalars.count)")
                ]
            }
            return []
        case .uri:
            guard let text = value.string else { return [Self.wrongType(field, "a string", value)] }
            guard Self.isAbsoluteURI(text) else {
                return [
                    SchemaRefusal(
                        field: field, rule: "must be an absolute URI such as https://host/path, not \"\(text)\"")
                ]
            }
            return []
        case .number(let range):
            guard let text = value.numberText, let number = Double(text) else {
                return [Self.wrongType(field, "a number", value)]
            }
            if let range, !range.contains(number) {
                return [
                    SchemaRefusal(
                        field: field,
                        rule:
                            "must be between \(Self.plain(range.lowerBound)) and \(Self.plain(range.upperBound)), not \(text)"
                    )
                ]
            }
            return []
        case .integer:
            guard value.int64 != nil else { return [Self.wrongType(field, "a whole number", value)] }
            return []
        case .array(let element, let maxItems):
            guard let items = value.array else { return [Self.wrongType(field, "an array", value)] }
            if let maxItems, items.count > maxItems {
                return [SchemaRefusal(field: field, rule: "must have at most \(maxItems) items, not \(items.count)")]
            }
            return items.enumerated().flatMap { index, item in element.validate(item, field: "\(field)[\(index)]") }
        case .object(let schema):
            return schema.validate(value, path: field)
        }
    }

    private static func wrongType(_ field: String, _ expected: String, _ value: JSON) -> SchemaRefusal {
        SchemaRefusal(field: field, rule: "must be \(expected), not \(value.kind)")
    }

    /// RFC 3986 `absolute-URI`'s characters: `scheme ":" hier-part`, every other byte unreserved,
    /// reserved, or a `%` with two hex digits.
    static func isAbsoluteURI(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard let colon = bytes.firstIndex(of: UInt8(ascii: ":")), colon > 0, colon < bytes.count - 1,
            bytes[0].isASCIILetter,
            bytes[1..<colon].allSatisfy({ $0.isASCIILetter || $0.isASCIIDigit || "+-.".utf8.contains($0) })
        else { return false }
        let allowed = Set("-._~:/?#[]@!$&'()*+,;=".utf8)
        var index = colon + 1
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "%") {
                guard index + 2 < bytes.count, bytes[index + 1].isHexDigit, bytes[index + 2].isHexDigit else {
                    return false
                }
                index += 3
                continue
            }
            guard byte.isASCIILetter || byte.isASCIIDigit || allowed.contains(byte) else { return false }
            index += 1
        }
        return true
    }

    private static func plain(_ number: Double) -> String {
        number == number.rounded() ? String(Int64(number)) : String(number)
    }
}

/// Why a request is refused before it is sent: the field (a path into the body) and the rule broken.
public struct SchemaRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    public var field: String
    public var rule: String

    public init(field: String, rule: String) {
        self.field = field
        self.rule = rule
    }

    public var description: String { "\(field) \(rule)" }
}

extension UInt8 {
    fileprivate var isASCIILetter: Bool { (0x41...0x5A).contains(self) || (0x61...0x7A).contains(self) }
    fileprivate var isASCIIDigit: Bool { (0x30...0x39).contains(self) }
    fileprivate var isHexDigit: Bool { isASCIIDigit || (0x41...0x46).contains(self) || (0x61...0x66).contains(self) }
}
