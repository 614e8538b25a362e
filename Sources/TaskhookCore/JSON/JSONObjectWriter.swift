/// A JSON object written straight into bytes, member by member: the same compact text
/// `JSON.write(into:)` gives the same object, without a tree of `JSON` values built first (an
/// allocation per value and per number's text). For the answers written most: a task in a
/// `/v1/tasks` page and an event of a stream, where the tree cost the event loop milliseconds a page.
///
///     JSONObjectWriter.write(into: &body) { object in
///         object.string("id", task.id)
///         object.integer("updated", task.updated)
///     }
public struct JSONObjectWriter {
    /// The bytes written so far, the caller's own (taken for the writing and handed back).
    private var out: [UInt8]
    private var empty = true

    private init(out: [UInt8]) { self.out = out }

    /// Appends `{`, the members `members` writes, and `}` to `bytes`.
    public static func write(into bytes: inout [UInt8], _ members: (inout JSONObjectWriter) -> Void) {
        var writer = JSONObjectWriter(out: [])
        swap(&writer.out, &bytes)  // no copy of what the caller wrote before
        writer.out.append(UInt8(ascii: "{"))
        members(&writer)
        writer.out.append(UInt8(ascii: "}"))
        swap(&writer.out, &bytes)
    }

    public mutating func string(_ key: StaticString, _ value: String) {
        self.key(key)
        JSON.appendQuoted(value, to: &out)
    }

    /// A string, or `null`.
    public mutating func optional(_ key: StaticString, _ value: String?) {
        guard let value else { return self.value(key, .null) }
        string(key, value)
    }

    public mutating func integer(_ key: StaticString, _ value: some BinaryInteger) {
        self.key(key)
        JSON.appendDecimal(value, to: &out)
    }

    public mutating func bool(_ key: StaticString, _ value: Bool) {
        self.value(key, .bool(value))
    }

    /// A value of any shape, written from its tree (for the members seldom written or seldom
    /// present).
    public mutating func value(_ key: StaticString, _ value: JSON) {
        self.key(key)
        value.write(into: &out)
    }

    /// An array of strings.
    public mutating func strings(_ key: StaticString, _ values: some Sequence<String>) {
        array(key, values) { out, value in JSON.appendQuoted(value, to: &out) }
    }

    /// An array of objects, each written by `element`.
    public mutating func objects<Elements: Sequence>(
        _ key: StaticString, _ elements: Elements, _ element: (inout JSONObjectWriter, Elements.Element) -> Void
    ) {
        array(key, elements) { out, value in Self.write(into: &out) { element(&$0, value) } }
    }

    private mutating func array<Elements: Sequence>(
        _ key: StaticString, _ elements: Elements, _ element: (inout [UInt8], Elements.Element) -> Void
    ) {
        self.key(key)
        out.append(UInt8(ascii: "["))
        var first = true
        for value in elements {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            element(&out, value)
        }
        out.append(UInt8(ascii: "]"))
    }

    /// `,"key":` (no comma before the first member). Keys are the writer's own literals, which
    /// need no escaping.
    private mutating func key(_ key: StaticString) {
        if !empty { out.append(UInt8(ascii: ",")) }
        empty = false
        out.append(UInt8(ascii: "\""))
        JSON.append(key, to: &out)
        JSON.append("\":", to: &out)
    }
}

extension JSON {
    /// `value` in decimal, appended digit by digit: what `.integer(value)` writes, without the
    /// String it makes.
    public static func appendDecimal(_ value: some BinaryInteger, to out: inout [UInt8]) {
        if value < 0 { out.append(UInt8(ascii: "-")) }
        var magnitude = UInt64(value.magnitude)
        let start = out.count
        repeat {
            out.append(UInt8(ascii: "0") + UInt8(magnitude % 10))
            magnitude /= 10
        } while magnitude > 0
        out[start...].reverse()
    }
}
