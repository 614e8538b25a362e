import Testing

@testable import TaskhookCore

@Suite struct EncodingTests {
    @Test(arguments: [
        ("", [UInt8]()), ("QQ", [0x41]), ("QQ==", [0x41]), ("QUI", [0x41, 0x42]), ("QUI=", [0x41, 0x42]),
        ("QUJD", [0x41, 0x42, 0x43]), ("-_8", [0xFB, 0xFF]),
    ])
    func base64DecodesWithOrWithoutPadding(text: String, bytes: [UInt8]) {
        let alphabet: Base64.Alphabet = text.contains("-") || text.contains("_") ? .url : .standard
        #expect(Base64.decode(text, alphabet: alphabet) == bytes)
    }

    @Test(arguments: ["Q", "QQ=", "QQ===", "Q===", "QUJD=", "QU=I", "QU I", "-_8"])
    func base64RefusesImpossibleInput(text: String) {
        #expect(Base64.decode(text, alphabet: .standard) == nil)
    }

    @Test func base64AlphabetsAreNotMixed() {
        #expect(Base64.decode("+/8", alphabet: .url) == nil)
        #expect(Base64.decode("+/8", alphabet: .standard) == [0xFB, 0xFF])
    }

    @Test(arguments: [
        ([UInt8](), "", ""), ([0x41], "QQ==", "QQ"), ([0x41, 0x42], "QUI=", "QUI"),
        ([0x41, 0x42, 0x43], "QUJD", "QUJD"),
        ([0xFB, 0xFF], "+/8=", "-_8"),
    ])
    func base64EncodesPaddedStandardAndUnpaddedURLSafe(bytes: [UInt8], standard: String, url: String) {
        #expect(Base64.encode(bytes) == standard)
        #expect(Base64.encode(bytes, alphabet: .url) == url)
        #expect(Base64.decode(standard, alphabet: .standard) == bytes)
        #expect(Base64.decode(url, alphabet: .url) == bytes)
    }

    @Test func base64RoundTripsEveryLength() {
        var bytes: [UInt8] = []
        for length in 0..<70 {
            #expect(Base64.decode(Base64.encode(bytes), alphabet: .standard) == bytes, "\(length)")
            #expect(Base64.decode(Base64.encode(bytes, alphabet: .url), alphabet: .url) == bytes, "\(length)")
            bytes.append(UInt8(truncatingIfNeeded: length &* 37 &+ 11))
        }
    }

    @Test func hexDecodesEitherCaseAndEncodesLowerCase() {
        #expect(Hex.decode("00aBfF") == [0x00, 0xAB, 0xFF])
        #expect(Hex.encode([0x00, 0xAB, 0xFF]) == "00abff")
        #expect(Hex.decode("abc") == nil)
        #expect(Hex.decode("0g") == nil)
        #expect(Hex.decode("") == [])
    }

    @Test func echoedValuesAreQuotedEscapedAndCut() {
        #expect("abc".quotedForReason == #""abc""#)
        #expect("a\"b\u{1B}".quotedForReason == #""a\"b\u{1B}""#)
        #expect(String(repeating: "x", count: 50).quotedForReason == "\"" + String(repeating: "x", count: 40) + "…\"")
    }
}
