/// Header or trailer fields in the order received. Names are stored lower-cased (field names
/// are case-insensitive); values with surrounding whitespace removed.
///
/// The fields live in one byte buffer, each lower-cased name followed by its value, with one
/// index entry per field saying where they are: the parser copies a header section here line
/// by line, so a request's fields cost two allocations whatever their number, and a name or a
/// value becomes a `String` only when someone asks for it.
public struct HTTPFields: Equatable, Sendable, Sequence {
    /// One field, seen in place: its name and value are slices of the fields' buffer.
    public struct Field: Equatable, Sendable {
        /// The lower-cased name's bytes.
        public let nameBytes: ArraySlice<UInt8>
        /// The value's bytes as received (obs-text included), surrounding whitespace removed.
        public let valueBytes: ArraySlice<UInt8>

        public var name: String { String(decoding: nameBytes, as: UTF8.self) }
        /// Bytes that are not UTF-8 (obs-text) read as U+FFFD here.
        public var value: String { String(decoding: valueBytes, as: UTF8.self) }

        /// Whether the name is `lowercased`, which must be lower case.
        public func hasName(_ lowercased: StaticString) -> Bool {
            HTTPGrammar.equals(nameBytes, lowercased)
        }
    }

    /// Where one field's name and value are in `bytes`.
    private struct Span: Equatable, Sendable {
        var name: Range<Int>
        var value: Range<Int>
    }

    private var bytes: [UInt8] = []
    private var spans: [Span] = []

    public init(_ fields: [(String, String)] = []) {
        for (name, value) in fields { append(name: name, value: value) }
    }

    public var count: Int { spans.count }
    public var isEmpty: Bool { spans.isEmpty }

    public subscript(position: Int) -> Field {
        let span = spans[position]
        return Field(nameBytes: bytes[span.name], valueBytes: bytes[span.value])
    }

    public mutating func append(name: String, value: String) {
        let nameStart = bytes.count
        for byte in name.utf8 { bytes.append(HTTPGrammar.lower(byte)) }
        let valueStart = bytes.count
        bytes.append(contentsOf: value.utf8)
        spans.append(Span(name: nameStart..<valueStart, value: valueStart..<bytes.count))
    }

    /// Appends a field line's parts the parser has checked: the name is lower-cased here, the
    /// value kept as it is.
    mutating func append(lowercasing name: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>) {
        if spans.isEmpty {
            // Room for a typical request head at once, instead of growing through 1, 2, 4, …
            bytes.reserveCapacity(512)
            spans.reserveCapacity(12)
        }
        let nameStart = bytes.count
        bytes.append(contentsOf: name)
        let valueStart = bytes.count
        bytes.append(contentsOf: value)
        // Lower-cased after the copy, in one pass over the buffer's own memory.
        bytes.withUnsafeMutableBufferPointer { buffer in
            for i in nameStart..<valueStart { buffer[i] = HTTPGrammar.lower(buffer[i]) }
        }
        spans.append(Span(name: nameStart..<valueStart, value: valueStart..<bytes.count))
    }

    /// The first field named `name` (case-insensitive), seen in place.
    public func first(_ name: String) -> Field? {
        var key = name
        let index = key.withUTF8 { key in
            spans.firstIndex { HTTPGrammar.equalsIgnoringCase(bytes[$0.name], key) }
        }
        return index.map { self[$0] }
    }

    /// The first value for `name` (case-insensitive).
    public subscript(name: String) -> String? { first(name)?.value }

    /// Every value for `name` (case-insensitive), in order.
    public func values(_ name: String) -> [String] {
        var key = name
        return key.withUTF8 { key in
            var values: [String] = []
            for span in spans where HTTPGrammar.equalsIgnoringCase(bytes[span.name], key) {
                values.append(String(decoding: bytes[span.value], as: UTF8.self))
            }
            return values
        }
    }

    public struct Iterator: IteratorProtocol {
        private let fields: HTTPFields
        private var index = 0

        init(_ fields: HTTPFields) { self.fields = fields }

        public mutating func next() -> Field? {
            guard index < fields.count else { return nil }
            defer { index += 1 }
            return fields[index]
        }
    }

    public func makeIterator() -> Iterator { Iterator(self) }
    public var underestimatedCount: Int { spans.count }
}
