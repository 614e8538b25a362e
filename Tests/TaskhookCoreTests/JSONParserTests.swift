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
