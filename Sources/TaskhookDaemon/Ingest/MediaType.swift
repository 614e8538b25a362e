/// What a callback's `Content-Type` says, read from the header's bytes where they are: every
/// callback's head is checked, and a String for the value would cost an allocation each time.
enum MediaType {
    /// `application/json` or `application/…+json`, any case, parameters (`; charset=…`) and
    /// surrounding whitespace ignored.
    static func isJSON(_ contentType: ArraySlice<UInt8>) -> Bool {
        var start = contentType.startIndex
        var end = contentType.firstIndex(of: UInt8(ascii: ";")) ?? contentType.endIndex
        while start < end, isWhitespace(contentType[start]) { start += 1 }
        while end > start, isWhitespace(contentType[end - 1]) { end -= 1 }
        let media = contentType[start..<end]
        if media.count == json.utf8CodeUnitCount, matches(media, at: start, json) { return true }
        return media.count >= prefix.utf8CodeUnitCount + suffix.utf8CodeUnitCount && matches(media, at: start, prefix)
            && matches(media, at: end - suffix.utf8CodeUnitCount, suffix)
    }

    private static let json: StaticString = "application/json"
    private static let prefix: StaticString = "application/"
    private static let suffix: StaticString = "+json"

    private static func isWhitespace(_ byte: UInt8) -> Bool { byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }

    /// Whether `bytes` hold `lowercase` from `index` on, ASCII case ignored; `lowercase` is
    /// lower case.
    private static func matches(_ bytes: ArraySlice<UInt8>, at index: Int, _ lowercase: StaticString) -> Bool {
        guard index >= bytes.startIndex, bytes.endIndex - index >= lowercase.utf8CodeUnitCount else { return false }
        for k in 0..<lowercase.utf8CodeUnitCount {
            let byte = bytes[index + k]
            let lowered = byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
            guard lowered == lowercase.utf8Start[k] else { return false }
        }
        return true
    }
}
