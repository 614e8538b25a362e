import Testing

@testable import TaskhookCore

@Suite struct JSONObjectWriterTests {
    /// Every kind of member, strings that need escaping, and the integers at the ends of their
    /// ranges: the text is the tree's, byte for byte.
    @Test func anObjectWrittenMemberByMemberIsTheTreesText() {
        let texts = ["plain", "", "quote \" backslash \\ newline \n tab \t", "\u{1}\u{7F}", "line\u{2028}sep", "é 🎬"]
        for text in texts {
            var written = Array("prefix ".utf8)
            JSONObjectWriter.write(into: &written) { object in
                object.string("s", text)
                object.optional("some", text)
                object.optional("none", nil)
                object.integer("min", Int64.min)
                object.integer("max", UInt64.max)
                object.integer("zero", 0)
                object.integer("negative", -42)
                object.bool("yes", true)
                object.bool("no", false)
                object.strings("list", [text, "b"])
                object.strings("nothing", [])
                object.objects("objects", [1, 2]) { element, number in
                    element.integer("n", number)
                    element.string("t", text)
                }
                object.value("tree", .object([("nested", .array([.null, .string(text)]))]))
            }
            let tree: JSON = .object([
                ("s", .string(text)), ("some", .optional(text)), ("none", .optional(nil)),
                ("min", .integer(Int64.min)), ("max", .integer(UInt64.max)), ("zero", .integer(0)),
                ("negative", .integer(-42)), ("yes", .bool(true)), ("no", .bool(false)),
                ("list", .array([.string(text), .string("b")])), ("nothing", .array([])),
                ("objects", .array([1, 2].map { .object([("n", .integer($0)), ("t", .string(text))]) })),
                ("tree", .object([("nested", .array([.null, .string(text)]))])),
            ])
            #expect(written == Array("prefix ".utf8) + tree.bytes, "\(text.debugDescription)")
        }
    }

    @Test func anObjectWithNoMembersIsEmptyBraces() {
        var written: [UInt8] = []
        JSONObjectWriter.write(into: &written) { _ in }
        #expect(written == Array("{}".utf8))
    }

    @Test func decimalsAreWhatStringGives() {
        for value: Int64 in [0, 1, 9, 10, 99, 100, -1, -10, 1_733_011_200_000, .max, .min] {
            var out: [UInt8] = []
            JSON.appendDecimal(value, to: &out)
            #expect(String(decoding: out, as: UTF8.self) == String(value))
        }
    }
}
