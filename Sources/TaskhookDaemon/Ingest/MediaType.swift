/// What a callback's `Content-Type` says, read from the header's bytes where they are: every
/// callback's head is checked, and a String for the value would cost an allocation each time.
enum MediaType {
    /// `application/json` or `application/…+json`, any case, parameters (`; charset=…`) and
    /// surrounding whitespace ignored.
    static func isJSON(_ contentType: ArraySlice<UInt8>) -> Bool {
        var media = contentType.prefix { $0 != UInt8(ascii: ";") }
        while let first = media.first, isWhitespace(first) { media = media.dropFirst() }
        while let last = media.last, isWhitespace(last) { media = media.dropLast() }
        if equalsIgnoringCase(media, "application/json") { return true }
        let prefix = "application/".utf8
        let suffix = "+json".utf8
        guard media.count >= prefix.count + suffix.count else { return false }
        return equalsIgnoringCase(media.prefix(prefix.count), prefix)
            && equalsIgnoringCase(media.suffix(suffix.count), suffix)
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool { byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }

    /// ASCII case-insensitive; `lowercase` is lower case.
    private static func equalsIgnoringCase(_ bytes: ArraySlice<UInt8>, _ lowercase: String.UTF8View) -> Bool {
        bytes.count == lowercase.count
            && zip(bytes, lowercase).allSatisfy { byte, expected in
                (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte) == expected
            }
    }

    private static func equalsIgnoringCase(_ bytes: ArraySlice<UInt8>, _ lowercase: String) -> Bool {
        equalsIgnoringCase(bytes, lowercase.utf8)
    }
}
