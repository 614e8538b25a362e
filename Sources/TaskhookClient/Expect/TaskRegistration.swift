import TaskhookCore
import TaskhookProviders

/// What `POST /v1/tasks` tells the daemon: a task to expect (with the provider's id), or, without
/// one, a registration made before the provider is called, bound to the id once it is known. Checked
/// whole by `problems` before anything is sent, so a bad value is refused naming its option.
public struct TaskRegistration: Sendable, Equatable {
    public var provider: String
    /// The provider's task id; nil for a registration before submitting.
    public var id: String?
    /// The client-made registration id (with `id`: the registration to bind).
    public var registration: String?
    public var endpoint: String?
    public var statusURL: String?
    public var resultURL: String?
    /// Milliseconds since the epoch; nil: the daemon's default (24 h).
    public var deadline: Int64?
    /// In the order given; a key given twice keeps its last value.
    public var labels: [(key: String, value: String)]
    public var externalID: String?

    public static let maxLabels = 32

    public init(
        provider: String, id: String? = nil, registration: String? = nil, endpoint: String? = nil,
        statusURL: String? = nil, resultURL: String? = nil, deadline: Int64? = nil,
        labels: [(key: String, value: String)] = [], externalID: String? = nil
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

    public static func == (a: TaskRegistration, b: TaskRegistration) -> Bool {
        a.json == b.json
    }

    /// The request body; absent values are left out (the daemon keeps what a registration had).
    public var json: JSON {
        var members: [(key: String, value: JSON)] = [("provider", .string(provider))]
        func add(_ key: String, _ value: String?) { if let value { members.append((key, .string(value))) } }
        add("id", id)
        add("registration", registration)
        add("endpoint", endpoint)
        add("status_url", statusURL)
        add("result_url", resultURL)
        if let deadline { members.append(("deadline", .integer(deadline))) }
        if !labels.isEmpty {
            var unique: [(key: String, value: JSON)] = []
            for label in labels {
                unique.removeAll { $0.key == label.key }
                unique.append((label.key, .string(label.value)))
            }
            members.append(("labels", .object(unique)))
        }
        add("external_id", externalID)
        return .object(members)
    }

    /// Every value the daemon would refuse (or that would make the task unreadable), each naming
    /// its option; empty when the registration can be sent. `now` in milliseconds.
    public func problems(now: Int64) -> [String] {
        var problems: [String] = []
        if provider.isEmpty || provider.contains(":") || provider.contains("/") {
            problems.append("the provider \"\(provider)\" cannot be a provider identity (empty, or holds ':' or '/')")
        }
        if let id, id.isEmpty || id.contains("/") {
            problems.append("\"\(id)\" cannot be a task id (empty, or contains '/')")
        }
        if let registration, !Self.isRegistrationID(registration) {
            problems.append("--registration must be 1 to 128 characters of A-Z a-z 0-9 . _ -, not \"\(registration)\"")
        }
        if let name = endpoint {
            if let endpoint = SeedEndpoint(rawValue: name) {
                if endpoint.provider != provider {
                    problems.append(
                        "--endpoint \(name) is read by the \(endpoint.provider) profile, not \(provider)'s")
                }
            } else {
                let known = SeedEndpoint.allCases.map(\.rawValue).joined(separator: ", ")
                problems.append("--endpoint \(name) is not a known endpoint; known: \(known)")
            }
        }
        for (option, url) in [("--poll-url", statusURL), ("--result-url", resultURL)] {
            if let url, !Self.isHTTPURL(url) {
                problems.append("\(option) must be an http:// or https:// URL, not \(url)")
            }
        }
        if let deadline, deadline <= now { problems.append("--deadline must be in the future") }
        if Set(labels.map(\.key)).count > Self.maxLabels {
            problems.append("at most \(Self.maxLabels) labels, not \(Set(labels.map(\.key)).count)")
        }
        if labels.contains(where: { $0.key.isEmpty }) { problems.append("--label needs a name: NAME=VALUE") }
        if let externalID, externalID.isEmpty { problems.append("--external-id cannot be empty") }
        return problems
    }

    /// 1–128 characters of `[A-Za-z0-9._-]`, as the daemon accepts.
    public static func isRegistrationID(_ text: String) -> Bool {
        (1...128).contains(text.utf8.count)
            && text.utf8.allSatisfy { byte in
                (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
                    || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
            }
    }

    /// An `http://` or `https://` URL with a host and no blanks.
    public static func isHTTPURL(_ text: String) -> Bool {
        let lower = text.lowercased()
        guard lower.hasPrefix("http://") || lower.hasPrefix("https://") else { return false }
        let rest = lower.drop { $0 != "/" }.dropFirst(2)
        return !rest.isEmpty && !rest.hasPrefix("/") && !text.contains(where: { $0 == " " || $0.isNewline })
    }

    /// A fresh registration id: 32 hex digits from the system's random source, so a retried
    /// request carries the same id and a second submit never collides with the first.
    public static func newRegistrationID() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<16).map { _ in
            let byte = UInt8.random(in: 0...255, using: &generator)
            return (byte < 16 ? "0" : "") + String(byte, radix: 16)
        }.joined()
    }
}
