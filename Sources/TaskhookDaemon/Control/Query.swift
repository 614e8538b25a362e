/// A query string's parameters (`a=1&b=two`), percent-decoded.
struct Query {
    private var values: [String: String] = [:]

    init(_ query: String?) {
        for pair in (query ?? "").split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = Self.percentDecoded(String(parts[0]))
            if values[key] == nil { values[key] = parts.count > 1 ? Self.percentDecoded(String(parts[1])) : "" }
        }
    }

    subscript(key: String) -> String? { values[key] }

    /// `plusIsSpace`: query rules (`+` is a space); paths keep `+` as it is.
    static func percentDecoded(_ text: String, plusIsSpace: Bool = true) -> String {
        guard text.contains("%") || (plusIsSpace && text.contains("+")) else { return text }
        var bytes: [UInt8] = []
        var utf8 = Array(text.utf8)[...]
        while let byte = utf8.popFirst() {
            if byte == UInt8(ascii: "%"), utf8.count >= 2,
                let value = UInt8(String(decoding: utf8.prefix(2), as: UTF8.self), radix: 16)
            {
                bytes.append(value)
                utf8 = utf8.dropFirst(2)
            } else {
                bytes.append(plusIsSpace && byte == UInt8(ascii: "+") ? UInt8(ascii: " ") : byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
