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
        entries = header.split(separator: " ").map { token in
            guard let comma = token.firstIndex(of: ",") else { return Entry(version: token, signature: "") }
            return Entry(version: token[..<comma], signature: token[token.index(after: comma)...])
        }
    }
}
