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
        // By bytes: a space and a comma are single bytes in UTF-8, and splitting by Character
        // would cost a grapheme walk over the whole header.
        entries = header.utf8.split(separator: UInt8(ascii: " ")).map { bytes in
            let token = Substring(bytes)
            guard let comma = bytes.firstIndex(of: UInt8(ascii: ",")) else {
                return Entry(version: token, signature: "")
            }
            return Entry(version: token[..<comma], signature: token[token.utf8.index(after: comma)...])
        }
    }
}
