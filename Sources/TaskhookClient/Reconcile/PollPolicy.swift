/// How hard `taskhook reconcile` may lean on providers: how many status reads at once, how many a
/// second per provider, how it backs off when one fails, and how long each may take.
public struct PollPolicy: Sendable, Equatable {
    /// Status reads in flight at once, across providers.
    public var maxConcurrent = 4
    /// Status reads a second per provider, and how many may go at once after a quiet spell.
    public var ratePerSecond: [String: Double] = [:]
    public var defaultRatePerSecond = 2.0
    public var burst = 2.0
    /// Seconds between reads of a task that is still running.
    public var pollInterval = 30.0
    /// The first retry's delay after a failed read, doubled each time up to `maxBackoff`.
    public var baseBackoff = 1.0
    public var maxBackoff = 300.0
    /// Each request's timeout.
    public var requestTimeout = 30.0

    public init() {}

    public func rate(for provider: String) -> Double { ratePerSecond[provider] ?? defaultRatePerSecond }

    /// The delay before retry number `attempt` (1 for the first): exponential, then "equal jitter"
    /// (half fixed, half random) so that retries of many tasks spread out yet each waits at least
    /// half its step. `unit` is a random number in [0, 1).
    public func backoff(attempt: Int, unit: Double) -> Double {
        let step = min(maxBackoff, baseBackoff * Double(1 << min(max(attempt - 1, 0), 30)))
        return step / 2 + step / 2 * unit
    }
}
