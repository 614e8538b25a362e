/// A strict RFC 8259 parser over raw bytes: no trailing commas, comments or leading zeros; nesting is
/// bounded so a hostile body cannot exhaust the stack. Invalid UTF-8 and lone surrogates inside strings
/// become U+FFFD rather than failures: the body is already authentic, and its ids are plain ASCII.
public struct JSONParser {
    public static let maximumDepth = 64

    private let bytes: [UInt8]
    private var index = 0

    private init(bytes: [UInt8]) { self.bytes = bytes }

    public static func parse(_ bytes: [UInt8]) throws(JSONParseError) -> JSON {
        var parser = JSONParser(bytes: bytes)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { parser.index = 3 }  // RFC 8259 §8.1: a BOM may be ignored
        parser.skipWhitespace()
        let value = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        if parser.index < bytes.count { throw parser.failure("unexpected data after the JSON value") }
        return value
    }

    private var next: UInt8? { index < bytes.count ? bytes[index] : nil }

    private mutating func parseValue(depth: Int) throws(JSONParseError) -> JSON {
        guard let byte = next else { throw expected("a value") }
        switch byte {
        case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
        case UInt8(ascii: "["): return try parseArray(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"):
            try expectLiteral("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try expectLiteral("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try expectLiteral("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        default: throw expected("a value")
        }
    }

    private mutating func parseObject(depth: Int) throws(JSONParseError) -> JSON {
        guard depth <= Self.maximumDepth else { throw failure("nested deeper than \(Self.maximumDepth) levels") }
        index += 1
        skipWhitespace()
        var members: [(key: String, value: JSON)] = []
        if next == UInt8(ascii: "}") {
            index += 1
            return .object(members)
        }
        // Callback objects hold a few members: room for them at once, not by doubling from one.
        members.reserveCapacity(4)
        while true {
            guard next == UInt8(ascii: "\"") else { throw expected("a member name in double quotes") }
            let key = try parseString()
            skipWhitespace()
            guard next == UInt8(ascii: ":") else { throw expected("':' after a member name") }
            index += 1
            skipWhitespace()
            members.append((key: key, value: try parseValue(depth: depth)))
            skipWhitespace()
            switch next {
            case UInt8(ascii: ","):
                index += 1
                skipWhitespace()
            case UInt8(ascii: "}"):
                index += 1
                return .object(members)
            default: throw expected("',' or '}'")
            }
        }
    }

    private mutating func parseArray(depth: Int) throws(JSONParseError) -> JSON {
        guard depth <= Self.maximumDepth else { throw failure("nested deeper than \(Self.maximumDepth) levels") }
        index += 1
        skipWhitespace()
        var elements: [JSON] = []
        if next == UInt8(ascii: "]") {
            index += 1
            return .array(elements)
        }
        while true {
            elements.append(try parseValue(depth: depth))
            skipWhitespace()
            switch next {
            case UInt8(ascii: ","):
                index += 1
                skipWhitespace()
            case UInt8(ascii: "]"):
                index += 1
                return .array(elements)
            default: throw expected("',' or ']'")
            }
        }
    }

    private mutating func parseString() throws(JSONParseError) -> String {
        let start = index
        index += 1
        // Most strings hold no escape: found whole, they become a String in one copy. Scanned
        // through the buffer: indexing the array costs a bounds check per byte, and a body's
        // strings are most of its bytes.
        let end = bytes.withUnsafeBufferPointer { buffer in
            var end = Self.plainWordsEnd(buffer, from: index)
            while end < buffer.count {
                let byte = buffer[end]
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte < 0x20 { break }
                end += 1
            }
            return end
        }
        if end < bytes.count, bytes[end] == UInt8(ascii: "\"") {
            defer { index = end + 1 }
            return String(decoding: bytes[index..<end], as: UTF8.self)
        }
        var utf8 = Array(bytes[index..<end])
        index = end
        while let byte = next {
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                return String(decoding: utf8, as: UTF8.self)
            case UInt8(ascii: "\\"):
                try parseEscape(into: &utf8)
            case 0..<0x20:
                throw failure("control character \(Self.describe(byte)) inside a string")
            default:
                utf8.append(byte)
                index += 1
            }
        }
        throw failure("unterminated string", at: start)
    }

    /// Where the run of 8-byte words from `start` holding no quote, backslash or control
    /// character ends: the byte loop goes on from there. A word at a time (SWAR) because a
    /// body's strings are most of its bytes, and byte by byte cost about 10 instructions each.
    static func plainWordsEnd(_ buffer: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        guard let base = buffer.baseAddress else { return start }
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        var end = start
        while end + 8 <= buffer.count {
            // Unaligned read of 8 bytes inside the buffer (checked just above).
            let word = UnsafeRawPointer(base + end).loadUnaligned(as: UInt64.self)
            // A byte of `x` is zero ⇔ its lane in (x − 1s) & ~x has the high bit set (a word
            // has such a lane iff it has a zero byte); below 0x20 likewise with x − 0x20s.
            let quote = word ^ (ones &* UInt64(UInt8(ascii: "\"")))
            let backslash = word ^ (ones &* UInt64(UInt8(ascii: "\\")))
            let found =
                ((quote &- ones) & ~quote) | ((backslash &- ones) & ~backslash) | ((word &- ones &* 0x20) & ~word)
            if found & highs != 0 { break }
            end += 8
        }
        return end
    }

    private mutating func parseEscape(into utf8: inout [UInt8]) throws(JSONParseError) {
        let start = index
        index += 1
        guard let letter = next else { throw failure("unterminated string") }
        index += 1
        let simple: UInt8? =
            switch letter {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): letter
            case UInt8(ascii: "b"): 0x08
            case UInt8(ascii: "f"): 0x0C
            case UInt8(ascii: "n"): 0x0A
            case UInt8(ascii: "r"): 0x0D
            case UInt8(ascii: "t"): 0x09
            default: nil
            }
        if let simple {
            utf8.append(simple)
            return
        }
        guard letter == UInt8(ascii: "u") else {
            throw failure("invalid escape \\\(Self.describe(letter, quoted: false))", at: start)
        }
        var value = try parseHex4()
        if (0xD800...0xDBFF).contains(value) {
            // A high surrogate counts only when a low one follows as another \u escape.
            let afterHigh = index
            if next == UInt8(ascii: "\\"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "u") {
                index += 2
                let low = try parseHex4()
                if (0xDC00...0xDFFF).contains(low) {
                    value = 0x10000 + ((value - 0xD800) << 10) + (low - 0xDC00)
                } else {
                    index = afterHigh
                    value = 0xFFFD
                }
            } else {
                value = 0xFFFD
            }
        } else if (0xDC00...0xDFFF).contains(value) {
            value = 0xFFFD
        }
        let scalar = Unicode.Scalar(value) ?? "\u{FFFD}"
        UTF8.encode(scalar) { utf8.append($0) }
    }

    private mutating func parseHex4() throws(JSONParseError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let byte = next, let digit = Hex.nibble(byte) else { throw expected("four hex digits after \\u") }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }

    private mutating func parseNumber() throws(JSONParseError) -> String {
        let start = index
        if next == UInt8(ascii: "-") { index += 1 }
        if next == UInt8(ascii: "0") {
            index += 1
        } else {
            try skipDigits()
        }
        if next == UInt8(ascii: ".") {
            index += 1
            try skipDigits()
        }
        if next == UInt8(ascii: "e") || next == UInt8(ascii: "E") {
            index += 1
            if next == UInt8(ascii: "+") || next == UInt8(ascii: "-") { index += 1 }
            try skipDigits()
        }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    /// One or more decimal digits.
    private mutating func skipDigits() throws(JSONParseError) {
        guard let first = next, Self.isDigit(first) else { throw expected("a digit") }
        while let byte = next, Self.isDigit(byte) { index += 1 }
    }

    private mutating func expectLiteral(_ literal: String) throws(JSONParseError) {
        let start = index
        for byte in literal.utf8 {
            guard next == byte else { throw failure("invalid literal (expected \(literal))", at: start) }
            index += 1
        }
    }

    private mutating func skipWhitespace() {
        while let byte = next,
            byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r")
                || byte == UInt8(ascii: "\t")
        {
            index += 1
        }
    }

    private func expected(_ what: String) -> JSONParseError {
        guard let byte = next else { return failure("expected \(what), found the end of the document") }
        return failure("expected \(what), found \(Self.describe(byte))")
    }

    private func failure(_ reason: String, at offset: Int? = nil) -> JSONParseError {
        JSONParseError(reason: reason, offset: offset ?? index)
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    /// `'x'` for printable ASCII, `byte 0x1F` otherwise.
    private static func describe(_ byte: UInt8, quoted: Bool = true) -> String {
        guard byte >= 0x20 && byte < 0x7F else {
            let hex = Hex.encode([byte])
            return quoted ? "byte 0x\(hex)" : "x\(hex)"
        }
        let character = String(UnicodeScalar(byte))
        return quoted ? "'\(character)'" : character
    }
}
