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
        // By bytes, in one pass: a space and a comma are single bytes in UTF-8, and splitting by
        // Character would cost a grapheme walk over the whole header. A header holds one or two
        // entries, so splitting into an array of pieces first would cost as much as the entries.
        entries = []
        let utf8 = header.utf8
        var index = utf8.startIndex
        while index < utf8.endIndex {
            guard utf8[index] != UInt8(ascii: " ") else {
                index = utf8.index(after: index)
                continue
            }
            let start = index
            var comma: String.Index?
            while index < utf8.endIndex, utf8[index] != UInt8(ascii: " ") {
                if comma == nil, utf8[index] == UInt8(ascii: ",") { comma = index }
                index = utf8.index(after: index)
            }
            if let comma {
                entries.append(
                    Entry(version: header[start..<comma], signature: header[utf8.index(after: comma)..<index]))
            } else {
                entries.append(Entry(version: header[start..<index], signature: ""))
            }
        }
    }
}
