import TaskhookCore

/// The JSON object holding a task's fields in a callback body, and how a reason names it. Providers that
/// may wrap the task as `{"data": {…}}` (Freepik's GET shape, Kling's poll answer) are unwrapped here.
struct TaskObject {
    let value: JSON
    /// "the body" or "the body's \"data\" object".
    let place: String

    /// Parses `body`, which must be a JSON object. With `unwrappingDataWithout` set, a body that lacks
    /// that member but has a `data` object is read from `data`.
    init(body: [UInt8], unwrappingDataWithout idKey: String? = nil) throws(PayloadProblem) {
        guard !body.isEmpty else { throw PayloadProblem("the body is empty") }
        let document: JSON
        do {
            document = try JSONParser.parse(body)
        } catch {
            throw PayloadProblem("the body is not JSON: \(error)")
        }
        guard document.isObject else { throw PayloadProblem("the body is \(document.kind), not a JSON object") }
        if let idKey, document[idKey] == nil, let data = document["data"], data.isObject {
            value = data
            place = "the body's \"data\" object"
        } else {
            value = document
            place = "the body"
        }
    }

    subscript(key: String) -> JSON? { value[key] }

    /// A required task id: a non-empty string, or an integer written as a JSON number.
    func identifier(_ key: String) throws(PayloadProblem) -> String {
        guard let member = value[key] else { throw PayloadProblem("\(place) has no \"\(key)\"") }
        return try Self.identifier(member, describedAs: "\"\(key)\" in \(place)")
    }

    /// A required status string, read with the provider's `words`; unknown values are named in the reason.
    func status(_ key: String, provider: String, words: StatusWords) throws(PayloadProblem) -> TaskStatus {
        guard let member = value[key] else { throw PayloadProblem("\(place) has no \"\(key)\"") }
        guard let text = member.string else {
            throw PayloadProblem("\"\(key)\" in \(place) is \(member.kind), not a string")
        }
        guard let status = words.status(for: text) else {
            let known = words.words.joined(separator: ", ")
            throw PayloadProblem("unknown \(provider) \(key) \(text.quotedForReason) (known: \(known))")
        }
        return status
    }

    /// An optional non-empty string member.
    func text(_ key: String) -> String? {
        guard let text = value[key]?.string, !text.isEmpty else { return nil }
        return text
    }

    /// `name` is only built for a reason: an accepted id (every callback's) costs no String for it.
    static func identifier(_ member: JSON, describedAs name: @autoclosure () -> String) throws(PayloadProblem)
        -> String
    {
        switch member {
        case .string(let text) where !text.isEmpty:
            return text
        case .string:
            throw PayloadProblem("\(name()) is empty")
        case .number(let text):
            guard text.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == "-") }) else {
                throw PayloadProblem("\(name()) is a number but not an integer (\(text))")
            }
            return text
        default:
            throw PayloadProblem("\(name()) is \(member.kind), not a string")
        }
    }

    /// http(s) URLs among `values`' strings (at any depth), in order, each once.
    static func httpURLs(in values: [JSON]) -> [String] {
        var seen: Set<String> = []
        var urls: [String] = []
        for value in values {
            value.forEachString { text in
                let lower = text.prefix(8).lowercased()
                guard lower.hasPrefix("https://") || lower.hasPrefix("http://") else { return }
                if seen.insert(text).inserted { urls.append(text) }
            }
        }
        return urls
    }
}
