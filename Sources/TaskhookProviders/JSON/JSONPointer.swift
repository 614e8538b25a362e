import TaskhookCore

/// An RFC 6901 JSON Pointer such as `/data/task_id` or `/results/0/url`, with `~1` for `/` and `~0` for `~`
/// inside a member name. The empty pointer is the whole document.
public struct JSONPointer: Sendable, Hashable, CustomStringConvertible {
    /// The pointer as written.
    public let description: String
    /// The unescaped reference tokens.
    public let tokens: [String]

    /// The empty pointer: the whole document.
    public static let root = JSONPointer(description: "", tokens: [])

    private init(description: String, tokens: [String]) {
        self.description = description
        self.tokens = tokens
    }

    public init(_ text: String) throws(ProviderConfigurationError) {
        description = text
        guard !text.isEmpty else {
            tokens = []
            return
        }
        guard text.hasPrefix("/") else {
            throw ProviderConfigurationError("JSON pointer \(text.quotedForReason) must be empty or start with '/'")
        }
        var tokens: [String] = []
        for escaped in text.dropFirst().split(separator: "/", omittingEmptySubsequences: false) {
            guard let token = Self.unescape(escaped) else {
                throw ProviderConfigurationError(
                    "JSON pointer \(text.quotedForReason) has a '~' not followed by 0 or 1 (write '~0' for '~')")
            }
            tokens.append(token)
        }
        self.tokens = tokens
    }

    /// The value the pointer refers to, or nil when any step is missing. An array step must be a decimal
    /// index without leading zeros; `-` (one past the end) never refers to a value.
    func resolve(in document: JSON) -> JSON? {
        var current = document
        for token in tokens {
            switch current {
            case .object:
                guard let member = current[token] else { return nil }
                current = member
            case .array(let elements):
                guard let index = Self.arrayIndex(token), index < elements.count else { return nil }
                current = elements[index]
            case .null, .bool, .number, .string:
                return nil
            }
        }
        return current
    }

    private static func unescape(_ escaped: Substring) -> String? {
        var token = ""
        var iterator = escaped.makeIterator()
        while let character = iterator.next() {
            guard character == "~" else {
                token.append(character)
                continue
            }
            switch iterator.next() {
            case "0": token.append("~")
            case "1": token.append("/")
            default: return nil
            }
        }
        return token
    }

    private static func arrayIndex(_ token: String) -> Int? {
        guard !token.isEmpty, token.count <= 9, token.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        guard token == "0" || !token.hasPrefix("0") else { return nil }
        return Int(token)
    }
}
