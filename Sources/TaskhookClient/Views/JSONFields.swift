import TaskhookCore

/// Reading a control API object's members by type: a missing member or `null` is nil for
/// the optional readers, a member of another type is an error naming it.
struct JSONFields {
    let object: JSON
    let context: String

    init(_ json: JSON, _ context: String) throws(ViewError) {
        guard json.isObject else { throw ViewError("\(context) is \(json.kind), not an object") }
        object = json
        self.context = context
    }

    private func present(_ key: String) -> JSON? {
        guard let value = object[key], !value.isNull else { return nil }
        return value
    }

    private func wrong(_ key: String, _ expected: String) -> ViewError {
        ViewError("\(context)'s \"\(key)\" is \(object[key]?.kind ?? "missing"), not \(expected)")
    }

    func string(_ key: String) throws(ViewError) -> String? {
        guard let value = present(key) else { return nil }
        guard let text = value.string else { throw wrong(key, "a string") }
        return text
    }

    func int64(_ key: String) throws(ViewError) -> Int64? {
        guard let value = present(key) else { return nil }
        guard let number = value.int64 else { throw wrong(key, "a whole number") }
        return number
    }

    func bool(_ key: String) throws(ViewError) -> Bool? {
        guard let value = present(key) else { return nil }
        guard let flag = value.bool else { throw wrong(key, "true or false") }
        return flag
    }

    func array(_ key: String) throws(ViewError) -> [JSON]? {
        guard let value = present(key) else { return nil }
        guard let elements = value.array else { throw wrong(key, "an array") }
        return elements
    }

    func strings(_ key: String) throws(ViewError) -> [String]? {
        guard let elements = try array(key) else { return nil }
        var texts: [String] = []
        for element in elements {
            guard let text = element.string else { throw wrong(key, "an array of strings") }
            texts.append(text)
        }
        return texts
    }

    func required<T>(_ key: String, _ read: (String) throws(ViewError) -> T?) throws(ViewError) -> T {
        guard let value = try read(key) else { throw ViewError("\(context) has no \"\(key)\"") }
        return value
    }
}
