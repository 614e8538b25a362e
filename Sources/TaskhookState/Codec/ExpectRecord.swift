import TaskhookCore

/// What a job registers (`POST /v1/tasks`), and the body of the `expect` record that journals
/// it: one JSON object, the same members in the request and in the record, so `taskhook journal
/// dump` shows what was asked. The daemon fills in what the request left to it (the registration
/// id, the deadline) before it journals, so replay never depends on the clock or the
/// configuration.
public struct ExpectRecord: Sendable, Equatable {
    /// The provider identity whose route receives the task's callbacks.
    public var provider: String
    /// The provider's task id; nil for a registration made before the provider was called.
    public var id: String?
    /// Without `id`: the registration's id. With it: the registration this binds.
    public var registration: String?
    public var endpoint: String?
    public var statusURL: String?
    public var resultURL: String?
    /// Unix milliseconds; nil keeps the one already expected.
    public var deadline: Int64?
    public var labels: [Expectation.Label]
    public var externalID: String?
    /// The registration is withdrawn (the provider refused the task it was made for).
    public var withdrawn = false

    public init(
        provider: String, id: String? = nil, registration: String? = nil, endpoint: String? = nil,
        statusURL: String? = nil, resultURL: String? = nil, deadline: Int64? = nil, labels: [Expectation.Label] = [],
        externalID: String? = nil
    ) {
        self.provider = provider
        self.id = id
        self.registration = registration
        self.endpoint = endpoint
        self.statusURL = statusURL
        self.resultURL = resultURL
        self.deadline = deadline
        self.labels = labels
        self.externalID = externalID
    }

    /// Why a request (or a record) is not a registration: a sentence naming the member.
    public struct Problem: Error, Sendable, Equatable, CustomStringConvertible {
        public var description: String
        public init(_ description: String) { self.description = description }
    }

    static let members: Set<String> = [
        "provider", "id", "registration", "endpoint", "status_url", "result_url", "deadline", "labels",
        "external_id", "withdrawn",
    ]
    public static let maxLabels = 32

    /// Reads and checks a registration, member by member.
    public init(json: JSON) throws(Problem) {
        guard case .object(let members) = json else { throw Problem("the body must be a JSON object") }
        for member in members where !Self.members.contains(member.key) {
            throw Problem("unknown member \"\(member.key)\"; known: \(Self.members.sorted().joined(separator: ", "))")
        }
        guard let provider = try Self.text(json, "provider", limit: 128) else {
            throw Problem("provider is required: the provider identity whose route receives the task's callbacks")
        }
        guard !provider.contains(":") else { throw Problem("provider must not contain a colon") }
        self.init(provider: provider)
        id = try Self.text(json, "id", limit: 512)
        registration = try Self.text(json, "registration", limit: 128)
        if let registration, !registration.utf8.allSatisfy(Self.isRegistrationByte) {
            throw Problem("registration may hold only letters, digits, '.', '_' and '-'")
        }
        endpoint = try Self.text(json, "endpoint", limit: 128)
        statusURL = try Self.url(json, "status_url")
        resultURL = try Self.url(json, "result_url")
        externalID = try Self.text(json, "external_id", limit: 256)
        if let value = json["deadline"], !value.isNull {
            guard let deadline = value.int64, deadline > 0 else {
                throw Problem("deadline must be a time in milliseconds since the epoch")
            }
            self.deadline = deadline
        }
        labels = try Self.labels(json["labels"])
        if let value = json["withdrawn"], !value.isNull {
            guard let flag = value.bool else { throw Problem("withdrawn must be true or false") }
            guard !flag || (id == nil && registration != nil) else {
                throw Problem(
                    "withdrawn takes a registration and no id: only a registration not yet bound is withdrawn")
            }
            withdrawn = flag
        }
    }

    /// The JSON of the request and the record.
    public var json: JSON {
        var members: [(key: String, value: JSON)] = [("provider", .string(provider))]
        func add(_ name: String, _ value: String?) { if let value { members.append((name, .string(value))) } }
        add("id", id)
        add("registration", registration)
        add("endpoint", endpoint)
        add("status_url", statusURL)
        add("result_url", resultURL)
        if let deadline { members.append(("deadline", .integer(deadline))) }
        if !labels.isEmpty { members.append(("labels", .object(labels.map { ($0.name, .string($0.value)) }))) }
        add("external_id", externalID)
        if withdrawn { members.append(("withdrawn", true)) }
        return .object(members)
    }

    private static func text(_ json: JSON, _ name: String, limit: Int) throws(Problem) -> String? {
        guard let value = json[name], !value.isNull else { return nil }
        guard let text = value.string else { throw Problem("\(name) must be a string, not \(value.kind)") }
        guard !text.isEmpty, text.utf8.count <= limit else {
            throw Problem("\(name) must be 1 to \(limit) bytes long")
        }
        guard !text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw Problem("\(name) must not contain control characters")
        }
        return text
    }

    private static func url(_ json: JSON, _ name: String) throws(Problem) -> String? {
        guard let url = try text(json, name, limit: 2048) else { return nil }
        guard isHTTPURL(url) else { throw Problem("\(name) must be an http or https URL with a host") }
        return url
    }

    /// An `http://` or `https://` URL with a host and no blanks: what a status or result URL
    /// must be (the daemon's reading and the command line's checks share it).
    public static func isHTTPURL(_ text: String) -> Bool {
        let lower = text.lowercased()
        guard lower.hasPrefix("http://") || lower.hasPrefix("https://") else { return false }
        let rest = lower.drop { $0 != "/" }.dropFirst(2)
        return !rest.isEmpty && !rest.hasPrefix("/") && !text.contains(where: { $0 == " " || $0.isNewline })
    }

    /// A fresh registration id: 32 hex digits from the system's random source. The command line
    /// makes one before it registers (so a retried registration carries the same id); the daemon
    /// makes one for a registration that names none.
    public static func newRegistrationID() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<16).map { _ in
            let byte = UInt8.random(in: 0...255, using: &generator)
            return (byte < 16 ? "0" : "") + String(byte, radix: 16)
        }.joined()
    }

    private static func labels(_ value: JSON?) throws(Problem) -> [Expectation.Label] {
        guard let value, !value.isNull else { return [] }
        guard case .object(let members) = value else { throw Problem("labels must be an object of strings") }
        guard members.count <= maxLabels else { throw Problem("labels may have at most \(maxLabels) members") }
        var labels: [Expectation.Label] = []
        for member in members {
            guard let text = member.value.string else { throw Problem("label \"\(member.key)\" must be a string") }
            guard !member.key.isEmpty, member.key.utf8.count <= 64, text.utf8.count <= 256 else {
                throw Problem("label \"\(member.key)\": names are 1 to 64 bytes, values at most 256")
            }
            Expectation.put(Expectation.Label(name: member.key, value: text), into: &labels)
        }
        return labels
    }

    static func isRegistrationByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
            true
        default: false
        }
    }

    /// The record body.
    public var encoded: [UInt8] { json.bytes }

    /// A record body read back.
    public init(decoding body: some Collection<UInt8>) throws(Problem) {
        guard let json = try? JSON.parse(Array(body)) else { throw Problem("an expect record is not JSON") }
        try self.init(json: json)
    }
}

/// The body of a `deadline` record: the task, or the registration, whose deadline passed.
public enum DeadlineRecord: Sendable, Hashable {
    case task(TaskKey)
    case registration(String)

    public var encoded: [UInt8] {
        switch self {
        case .task(let key): (["provider": .string(key.provider), "id": .string(key.id)] as JSON).bytes
        case .registration(let id): (["registration": .string(id)] as JSON).bytes
        }
    }

    public init?(decoding body: some Collection<UInt8>) {
        guard let json = try? JSON.parse(Array(body)) else { return nil }
        if let provider = json["provider"]?.string, let id = json["id"]?.string {
            self = .task(TaskKey(provider: provider, id: id))
        } else if let registration = json["registration"]?.string {
            self = .registration(registration)
        } else {
            return nil
        }
    }
}
