/// How the simulated providers misbehave, so a test (or a user trying the flow) can see taskhook
/// cope: callbacks lost, late, repeated or out of order; tasks that fail or never end; an API that
/// is busy (429 + Retry-After) or failing (500).
public struct SimulationKnobs: Sendable, Equatable {
    /// Seconds from create to the task running, and to its end.
    public var startAfter: Double = 0.1
    public var finishAfter: Double = 0.5
    /// Callbacks are never sent (the task still ends, visible to polling).
    public var dropCallbacks = false
    /// Seconds added to every callback's send time.
    public var callbackDelay: Double = 0
    /// Every callback is sent twice.
    public var duplicateCallbacks = false
    /// The terminal callback is sent before the `in progress` one.
    public var reorderCallbacks = false
    /// Tasks end failed instead of completed.
    public var failTasks = false
    /// Tasks never end (for deadlines).
    public var neverFinish = false
    /// The first `busyAnswers` API requests are answered 429 with `Retry-After: retryAfter`.
    public var busyAnswers = 0
    public var retryAfter: Int = 1
    /// The `errorAnswers` requests after those are answered 500.
    public var errorAnswers = 0
    /// Busy and failing answers go to status and result reads (GETs) only: creates succeed, so a
    /// reconciler's backoff can be watched on tasks that exist.
    public var faultsOnReadsOnly = false
    /// The size of each completed task's video.
    public var videoBytes = 256 * 1024

    public init() {}
}
