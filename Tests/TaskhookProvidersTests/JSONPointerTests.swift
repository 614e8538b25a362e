import TaskhookCore
import Testing

@testable import TaskhookProviders

@Suite struct JSONPointerTests {
    /// RFC 6901 §5's example document.
    static let document = try! JSONParser.parse(
        Array(
            (#"{"foo": ["bar", "baz"], "": 0, "a/b": 1, "c%d": 2, "e^f": 3, "g|h": 4, "i\\j": 5, "k\"l": 6, "#
                + #"" ": 7, "m~n": 8}"#).utf8))

    @Test(arguments: [
        ("/foo/0", JSON.string("bar")), ("/", .number("0")), ("/a~1b", .number("1")), ("/c%d", .number("2")),
        ("/e^f", .number("3")), ("/g|h", .number("4")), (#"/i\j"#, .number("5")), (#"/k"l"#, .number("6")),
        ("/ ", .number("7")), ("/m~0n", .number("8")), ("/foo", .array([.string("bar"), .string("baz")])),
    ])
    func theRFCExamplesResolve(pointer: String, expected: JSON) throws {
        #expect(try JSONPointer(pointer).resolve(in: Self.document) == expected)
    }

    @Test func theEmptyPointerIsTheWholeDocument() throws {
        #expect(try JSONPointer("").resolve(in: Self.document) == Self.document)
        #expect(try JSONPointer("") == .root)
    }

    @Test(arguments: ["/foo/2", "/foo/-", "/foo/01", "/foo/+1", "/foo/0/x", "/nope", "/foo/99999999999"])
    func stepsThatLeadNowhereResolveToNothing(pointer: String) throws {
        #expect(try JSONPointer(pointer).resolve(in: Self.document) == nil)
    }

    @Test func tokensAreUnescapedOneToSlashBeforeZeroToTilde() throws {
        #expect(try JSONPointer("/~01").tokens == ["~1"])
        #expect(try JSONPointer("/a~1b/~0").tokens == ["a/b", "~"])
        #expect(try JSONPointer("//x/").tokens == ["", "x", ""])
    }

    @Test(arguments: [
        ("data/id", #"JSON pointer "data/id" must be empty or start with '/'"#),
        ("#/data", ##"JSON pointer "#/data" must be empty or start with '/'"##),
        ("/a~2", #"JSON pointer "/a~2" has a '~' not followed by 0 or 1 (write '~0' for '~')"#),
        ("/a~", #"JSON pointer "/a~" has a '~' not followed by 0 or 1 (write '~0' for '~')"#),
    ])
    func malformedPointersAreRefused(text: String, reason: String) {
        #expect(throws: ProviderConfigurationError(reason)) { try JSONPointer(text) }
    }
}
