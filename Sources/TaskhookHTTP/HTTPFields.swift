/// Header or trailer fields in the order received. Names are stored lower-cased (field names
/// are case-insensitive); values with surrounding whitespace removed.
public struct HTTPFields: Equatable, Sendable, Sequence {
    public struct Field: Equatable, Sendable {
        public var name: String
        public var value: String
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    public private(set) var fields: [Field]

    public init(_ fields: [(String, String)] = []) {
        self.fields = fields.map { Field(name: $0.0.lowercased(), value: $0.1) }
    }

    public var count: Int { fields.count }
    public var isEmpty: Bool { fields.isEmpty }

    public mutating func append(name: String, value: String) {
        fields.append(Field(name: name.lowercased(), value: value))
    }

    /// Appends a name the parser already lower-cased.
    mutating func appendLowercased(name: String, value: String) {
        fields.append(Field(name: name, value: value))
    }

    /// The first value for `name` (case-insensitive).
    public subscript(name: String) -> String? {
        let key = Self.isLowercase(name) ? name : name.lowercased()
        return fields.first { $0.name == key }?.value
    }

    private static func isLowercase(_ name: String) -> Bool {
        !name.utf8.contains { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") }
    }

    /// Every value for `name`, in order.
    public func values(_ name: String) -> [String] {
        let key = name.lowercased()
        return fields.filter { $0.name == key }.map(\.value)
    }

    public func makeIterator() -> IndexingIterator<[Field]> { fields.makeIterator() }
}
