import Testing

@testable import TaskhookCore

@Suite struct JSONParserTests {
    static func parse(_ text: String) throws(JSONParseError) -> JSON {
        try JSONParser.parse(Array(text.utf8))
    }

    @Test func scalarsAndContainersAreRead() throws {
        #expect(
            try Self.parse(#" {"a": [1, -2.5e+3, true, false, null, "x"], "b": {}} "#)
                == [
                    "a": .array([.number("1"), .number("-2.5e+3"), .bool(true), .bool(false), .null, .string("x")]),
                    "b": .object([]),
                ])
    }

    @Test func membersKeepDocumentOrderAndTheLastDuplicateWins() throws {
        let value = try Self.parse(#"{"z":1,"a":2,"z":3}"#)
        guard case .object(let members) = value else {
            Issue.record("not an object")
            return
        }
        #expect(members.map(\.key) == ["z", "a", "z"])
        #expect(value["z"] == .number("3"))
    }

    @Test func escapesAreDecoded() throws {
        #expect(try Self.parse(#""\"\\\/\b\f\n\r\t\u00e9\u20AC""#) == .string("\"\\/\u{8}\u{C}\n\r\té€"))
    }

    @Test func surrogatePairsMakeOneScalarAndLoneSurrogatesBecomeReplacementCharacters() throws {
        #expect(try Self.parse(#""\ud83c\udfac""#) == .string("🎬"))
        #expect(try Self.parse(#""\ud83c""#) == .string("\u{FFFD}"))
        #expect(try Self.parse(#""\udfac\u0041""#) == .string("\u{FFFD}A"))
        #expect(try Self.parse(#""\ud83c\u0041""#) == .string("\u{FFFD}A"))
    }

    @Test func rawUTF8IsKeptAndInvalidUTF8IsReplaced() throws {
        #expect(try Self.parse("\"vidéo\"") == .string("vidéo"))
        #expect(try JSONParser.parse([0x22, 0xFF, 0x22]) == .string("\u{FFFD}"))
    }

    @Test func aByteOrderMarkIsSkipped() throws {
        #expect(try JSONParser.parse([0xEF, 0xBB, 0xBF] + Array("{}".utf8)) == .object([]))
    }

    @Test func numbersKeepTheirText() throws {
        #expect(try Self.parse("12345678901234567890") == .number("12345678901234567890"))
        #expect(try Self.parse("0.5E-7") == .number("0.5E-7"))
    }

    @Test(arguments: [
        ("", "expected a value, found the end of the document at byte 0"),
        ("[1,]", "expected a value, found ']' at byte 3"),
        (#"{"a":1,}"#, "expected a member name in double quotes, found '}' at byte 7"),
        (#"{"a" 1}"#, "expected ':' after a member name, found '1' at byte 5"),
        ("[1 2]", "expected ',' or ']', found '2' at byte 3"),
        ("01", "unexpected data after the JSON value at byte 1"),
        ("-", "expected a digit, found the end of the document at byte 1"),
        ("1.", "expected a digit, found the end of the document at byte 2"),
        ("1e", "expected a digit, found the end of the document at byte 2"),
        (".5", "expected a value, found '.' at byte 0"),
        ("tru", "invalid literal (expected true) at byte 0"),
        ("nul1", "invalid literal (expected null) at byte 0"),
        (#""abc"#, "unterminated string at byte 0"),
        ("\"a\nb\"", "control character byte 0x0a inside a string at byte 2"),
        (#""\x""#, #"invalid escape \x at byte 1"#),
        (#""\u12G4""#, "expected four hex digits after \\u, found 'G' at byte 5"),
        ("{} {}", "unexpected data after the JSON value at byte 3"),
        ("// comment\n{}", "expected a value, found '/' at byte 0"),
        ("\u{1}", "expected a value, found byte 0x01 at byte 0"),
    ])
    func malformedDocumentsAreRefusedWithWhereAndWhy(text: String, message: String) {
        #expect {
            try Self.parse(text)
        } throws: { error in
            (error as? JSONParseError)?.description == message
        }
    }

    @Test func nestingIsBounded() throws {
        let depth = JSONParser.maximumDepth
        #expect(throws: Never.self) {
            try Self.parse(String(repeating: "[", count: depth) + String(repeating: "]", count: depth))
        }
        #expect(throws: JSONParseError(reason: "nested deeper than \(depth) levels", offset: depth)) {
            try Self.parse(String(repeating: "[", count: depth + 1) + String(repeating: "]", count: depth + 1))
        }
        #expect(throws: JSONParseError.self) { try Self.parse(String(repeating: #"{"a":"#, count: 100_000)) }
    }
}

@Suite struct JSONStringScanTests {
    /// Whether a byte ends the plain run of a string: a quote, a backslash or a control character.
    static func special(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte < 0x20
    }

    @Test(arguments: [UInt8(ascii: "\""), UInt8(ascii: "\\"), 0x00, 0x0A, 0x1F])
    func theWordScanStopsAtTheWordHoldingASpecialByte(special: UInt8) {
        // Neighbours of the special values (0x20, 0x21, 0x5B, 0x5D, 0x7F) and bytes with the
        // high bit set must not stop it.
        let plain: [UInt8] = [0x20, 0x21, 0x5B, 0x5D, 0x7F, 0x80, 0xA2, 0xDC, 0xFF, UInt8(ascii: "a")]
        var failures: [String] = []
        for count in 0..<40 {
            for position in 0...count {
                var bytes = (0..<count).map { plain[$0 % plain.count] }
                if position < count { bytes[position] = special }
                for start in 0...min(count, 9) {
                    let end = bytes.withUnsafeBufferPointer { JSONParser.plainWordsEnd($0, from: start) }
                    // Whole words of plain bytes, up to the buffer's last whole word or to the
                    // word holding the special byte.
                    let wellFormed =
                        (end - start) % 8 == 0 && end <= count && !bytes[start..<end].contains(where: Self.special)
                    let stopped = end + 8 > count || bytes[end..<end + 8].contains(where: Self.special)
                    if !wellFormed || !stopped {
                        failures.append("count \(count) at \(position) from \(start): \(end)")
                    }
                }
            }
        }
        #expect(failures.isEmpty)
    }

    @Test func longStringsWithEscapesAtWordEdgesParseAsTheyRead() throws {
        for offset in 0..<17 {
            let prefix = String(repeating: "x", count: offset)
            let text = "\"\(prefix)\\\"é\\u0041\(prefix)\\n\""
            let value = try JSONParser.parse(Array(text.utf8))
            #expect(value == .string("\(prefix)\"éA\(prefix)\n"))
        }
        #expect(throws: JSONParseError.self) { try JSONParser.parse(Array("\"abcdefghijkl\u{01}mnop\"".utf8)) }
    }
}
