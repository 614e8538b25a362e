import Foundation
import TaskhookProviders

/// How `taskhook reconcile` decides what to read: the poll policy (concurrency, rates, backoff,
/// timeouts), how long a task must have been quiet before its status is read, where reads go when a
/// registration named no URL, and how often the expected tasks are listed again.
public struct ReconcileSettings: Sendable {
    public var policy = PollPolicy()
    /// Seconds without news before a task is read, by vendor (`freepik`, `fal`, `aggregator`,
    /// `kling`) or provider identity; `defaultQuietPeriod` for the others.
    public var quietPeriods: [String: Double] = [:]
    public var defaultQuietPeriod = 60.0
    /// Base URLs by vendor, then one for every endpoint (a simulator); else each endpoint's own.
    public var baseURLs: [String: String] = [:]
    public var defaultBaseURL: String?
    /// Seconds between listings of the expected tasks.
    public var relistInterval = 15.0
    /// One pass over what is due, then finish (for a timer or a cron job).
    public var once = false
    /// In one pass, how often a read that failed for a passing reason (a timeout, 429, 5xx) is tried.
    public var attemptsPerPass = 3

    public init() {}

    /// The quiet period of `endpoint`'s tasks. An endpoint that sends no callbacks (the aggregator)
    /// has nothing to wait for: its tasks are quiet once the poll interval has passed, unless a
    /// period is given for it.
    public func quietPeriod(for endpoint: SeedEndpoint) -> Double {
        if let period = quietPeriods[endpoint.vendor] ?? quietPeriods[endpoint.provider] { return period }
        if endpoint.callbackParameter == .none { return min(defaultQuietPeriod, policy.pollInterval) }
        return defaultQuietPeriod
    }

    public func baseURL(for endpoint: SeedEndpoint) -> String {
        baseURLs[endpoint.vendor] ?? defaultBaseURL ?? endpoint.defaultBaseURL
    }
}

/// One expected task as the reconciler reads it: its key, its endpoint and where its status is.
public struct PollTarget: Sendable, Equatable {
    /// `provider:id`, as observations are addressed.
    public var key: String
    public var endpoint: SeedEndpoint
    public var task: SubmittedTask
    /// Seconds since the epoch of its latest news (a callback, an observation, its registration).
    public var lastHeard: Double

    public init(key: String, endpoint: SeedEndpoint, task: SubmittedTask, lastHeard: Double) {
        self.key = key
        self.endpoint = endpoint
        self.task = task
        self.lastHeard = lastHeard
    }

    /// The target a listed task makes, or why it cannot be read: no endpoint, an unknown one.
    public static func make(_ view: TaskView, settings: ReconcileSettings) -> Result<PollTarget, Unpollable> {
        let key = view.key ?? "\(view.provider ?? "?"):\(view.id)"
        guard let expected = view.expected, let name = expected.endpoint else {
            return .failure(Unpollable(key: key, reason: "registered without an endpoint: only its deadline ends it"))
        }
        guard let endpoint = SeedEndpoint(rawValue: name) else {
            return .failure(Unpollable(key: key, reason: "its endpoint \(name) is not one this reconciler reads"))
        }
        let base = settings.baseURL(for: endpoint)
        var task = SubmittedTask(taskID: view.id, statusURL: expected.statusURL ?? "", resultURL: expected.resultURL)
        if expected.statusURL == nil {
            let built = endpoint.pollURLs(taskID: view.id, baseURL: base)
            task.statusURL = built.statusURL
            task.resultURL = expected.resultURL ?? built.resultURL
        }
        // The reads carry the vendor's API key: only to the vendor's own host, whatever URL a
        // registration (anyone in taskhook-clients) named.
        for url in [task.statusURL] + (task.resultURL.map { [$0] } ?? []) where origin(url) != origin(base) {
            return .failure(
                Unpollable(
                    key: key,
                    reason: "its status URL \(url) is not under \(base), where its \(endpoint.vendor) key may be "
                        + "sent (--base-url \(endpoint.vendor)=URL names another)"))
        }
        let heard = view.lastHeard ?? view.updated ?? view.firstSeen ?? 0
        return .success(PollTarget(key: key, endpoint: endpoint, task: task, lastHeard: Double(heard) / 1000))
    }
}

/// `scheme://host:port` in lower case, the port made explicit; nil for what is not an http(s) URL.
func origin(_ url: String) -> String? {
    guard let parts = URLComponents(string: url), let scheme = parts.scheme?.lowercased(),
        let host = parts.host?.lowercased(), !host.isEmpty, scheme == "http" || scheme == "https"
    else { return nil }
    return "\(scheme)://\(host):\(parts.port ?? (scheme == "https" ? 443 : 80))"
}

/// Why a listed task is not read: said once, then left to its deadline.
public struct Unpollable: Error, Sendable, Equatable {
    public var key: String
    public var reason: String
}
