/// The entries of a Standard Webhooks `webhook-signature` header: space-separated `version,signature`
/// pairs such as `v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4= v1a,hnO3f9T8…`.
struct WebhookSignatureList {
    struct Entry: Equatable {
        /// `v1`, `v1a`, …; the whole token when it has no comma.
        var version: Substring
        /// The base64 text after the first comma; empty for `v1,` or a token without a comma.
        var signature: Substring
    }

    var entries: [Entry]

    init(_ header: String) {
        // By bytes, in one pass over the header's contiguous UTF-8: a space and a comma are single
        // bytes in UTF-8, and splitting by Character would cost a grapheme walk over the whole
        // header; subscripting `String.UTF8View` checks its index on every byte, which cost
        // about 50 instructions a byte. A header holds one or two entries, so splitting into an
        // array of pieces first would cost as much as the entries.
        var entries: [Entry] = []
        var text = header
        text.withUTF8 { utf8 in
            let whole = header.utf8
            // Offsets into native UTF-8 become indices in constant time.
            func index(_ offset: Int) -> String.Index { whole.index(whole.startIndex, offsetBy: offset) }
            var offset = 0
            while offset < utf8.count {
                guard utf8[offset] != UInt8(ascii: " ") else {
                    offset += 1
                    continue
                }
                let start = offset
                var comma: Int?
                while offset < utf8.count, utf8[offset] != UInt8(ascii: " ") {
                    if comma == nil, utf8[offset] == UInt8(ascii: ",") { comma = offset }
                    offset += 1
                }
                if let comma {
                    entries.append(
                        Entry(
                            version: header[index(start)..<index(comma)],
                            signature: header[index(comma + 1)..<index(offset)]))
                } else {
                    entries.append(Entry(version: header[index(start)..<index(offset)], signature: ""))
                }
            }
        }
        self.entries = entries
    }
}
