import TaskhookCore
import TaskhookProviders
import TaskhookState

/// What `POST /v1/tasks` is sent: the daemon's own `ExpectRecord` (a task to expect, with the
/// provider's id; or, without one, a registration made before the provider is called), checked
/// before anything is sent.
extension ExpectRecord {
    /// Every value that would be refused or would leave the task unreadable, worded with the
    /// command line's option names; then whatever else the daemon's own reading refuses. Empty when
    /// it can be sent. `now` in milliseconds.
    public func problems(now: Int64) -> [String] {
        var problems: [String] = []
        if let id, id.contains("/") || id.isEmpty {
            problems.append("\"\(id)\" cannot be a task id (empty, or contains '/')")
        }
        if let name = endpoint {
            if let endpoint = SeedEndpoint(rawValue: name) {
                if endpoint.provider != provider {
                    problems.append("--endpoint \(name) is read by the \(endpoint.provider) profile, not \(provider)'s")
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
        guard problems.isEmpty else { return problems }
        do {
            _ = try ExpectRecord(json: json)
        } catch {
            problems.append(error.description)
        }
        return problems
    }

    /// Labels from the command line, in the order given; a name given twice keeps its last value.
    public static func labels(_ pairs: [(name: String, value: String)]) -> [Expectation.Label] {
        var labels: [Expectation.Label] = []
        for pair in pairs { Expectation.put(Expectation.Label(name: pair.name, value: pair.value), into: &labels) }
        return labels
    }
}
