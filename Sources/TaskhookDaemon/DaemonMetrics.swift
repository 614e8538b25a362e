import CoreMetrics
import Prometheus
import TaskhookCore
import TaskhookHTTP
import TaskhookPosix
import TaskhookState

/// The daemon's metrics, through swift-metrics (the executable bootstraps the Prometheus
/// backend). Counters are made once and kept: making one per event would take the factory's
/// lock on the hot path.
final class DaemonMetrics {
    private var deliveries: [DeliveryOutcome: CoreMetrics.Counter] = [:]
    /// A key of two Strings: joining them into one would cost an allocation per callback.
    private struct DeliveryOutcome: Hashable {
        var provider: String
        var outcome: String
    }
    private var answers: [Int: CoreMetrics.Counter] = [:]
    private var answered: [Int: UInt64] = [:]
    private let commits = CoreMetrics.Counter(label: "taskhook_journal_commits_total")
    private let batchRecords = CoreMetrics.Recorder(label: "taskhook_journal_batch_records", aggregate: true)
    private let fsync = CoreMetrics.Timer(label: "taskhook_journal_fsync_seconds")
    private let connections = CoreMetrics.Gauge(label: "taskhook_open_connections")
    private let listenerConnections = Dictionary(
        uniqueKeysWithValues: ["http", "control", "admin"].map {
            ($0, CoreMetrics.Gauge(label: "taskhook_listener_connections", dimensions: [("listener", $0)]))
        })
    private let evicted = CoreMetrics.Counter(label: "taskhook_idle_connections_evicted_total")
    private var evictedSoFar: UInt64 = 0
    private let bufferedBodies = CoreMetrics.Gauge(label: "taskhook_buffered_body_bytes")
    private let waiters = CoreMetrics.Gauge(label: "taskhook_waiters")
    private let subscribers = CoreMetrics.Gauge(label: "taskhook_event_subscribers")
    /// The loop's longest iteration since the previous scrape, a max gauge rather than a
    /// histogram: one figure per scrape answers "did anything stall the loop, and how long",
    /// and it costs the loop a comparison per iteration, not a bucket search and a lock.
    private let longestIteration = CoreMetrics.Gauge(label: "taskhook_loop_longest_iteration_seconds")
    /// The same on the loop thread's CPU clock: the loop's own work, without the time it waited
    /// for a CPU. Far below the figure above, a stall was the machine's, not the daemon's.
    private let longestIterationOnCPU = CoreMetrics.Gauge(label: "taskhook_loop_longest_iteration_cpu_seconds")
    /// Iterations busy for 5 ms or more since start: the stalls a max gauge misses between scrapes.
    private let slowIterations = CoreMetrics.Counter(label: "taskhook_loop_slow_iterations_total")
    private var slowCounted: UInt64 = 0
    private let unparsed = CoreMetrics.Gauge(label: "taskhook_unparsed_waiting")
    private let tasks = Dictionary(
        uniqueKeysWithValues: TaskStatus.allCases.map {
            ($0, CoreMetrics.Gauge(label: "taskhook_tasks", dimensions: [("status", $0.rawValue)]))
        })
    /// Expected tasks not yet ended, and registrations not yet bound to a task id.
    private let awaited = CoreMetrics.Gauge(label: "taskhook_tasks_awaited")
    private let registrations = CoreMetrics.Gauge(label: "taskhook_registrations_pending")
    private let observations = Dictionary(
        uniqueKeysWithValues: ["changed", "kept", "duplicate", "refused", "failed"].map {
            ($0, CoreMetrics.Counter(label: "taskhook_observations_total", dimensions: [("outcome", $0)]))
        })
    private let deadlines = CoreMetrics.Counter(label: "taskhook_deadlines_reached_total")
    /// Renders the Prometheus text, when the backend is Prometheus.
    let registry: PrometheusCollectorRegistry?

    init(registry: PrometheusCollectorRegistry?) { self.registry = registry }

    /// outcome: recorded, duplicate, unparsed, rejected (401), failed (503), reread (an unparsed
    /// callback a profile now reads, applied).
    func delivery(provider: String, outcome: String) {
        let key = DeliveryOutcome(provider: provider, outcome: outcome)
        if let counter = deliveries[key] {
            counter.increment()
            return
        }
        let counter = CoreMetrics.Counter(
            label: "taskhook_deliveries_total", dimensions: [("provider", provider), ("outcome", outcome)])
        deliveries[key] = counter
        counter.increment()
    }

    /// outcome: changed, kept, duplicate (not journaled), refused (404/422), failed (503).
    func observation(outcome: String) { observations[outcome]?.increment() }

    /// A task or registration reached its deadline (its record is durable).
    func deadlineReached() { deadlines.increment() }

    func committed(records: Int, syncNanoseconds: UInt64) {
        commits.increment()
        batchRecords.record(records)
        fsync.recordNanoseconds(Int64(clamping: syncNanoseconds))
    }

    /// Brings the gauges and the answer counts up to date, then renders the text.
    func scrape(
        loop: EventLoop, server: HTTPServer, table: TaskTable, waiters: Int, subscribers: Int, unparsed: Int = 0
    ) -> [UInt8] {
        self.unparsed.record(unparsed)
        longestIteration.record(Double(loop.takeLongestIteration().nanoseconds) / 1e9)
        longestIterationOnCPU.record(Double(loop.takeLongestIterationOnCPU().nanoseconds) / 1e9)
        let slow = loop.slowIterations
        if slow > slowCounted {
            slowIterations.increment(by: Int64(clamping: slow - slowCounted))
            slowCounted = slow
        }
        for (status, total) in server.answers {
            let delta = total - answered[status, default: 0]
            guard delta > 0 else { continue }
            answered[status] = total
            let counter =
                answers[status]
                ?? CoreMetrics.Counter(label: "taskhook_http_answers_total", dimensions: [("status", String(status))])
            answers[status] = counter
            counter.increment(by: Int64(delta))
        }
        connections.record(server.connectionCount)
        for (listener, gauge) in listenerConnections { gauge.record(server.connectionCount(listener: listener)) }
        evicted.increment(by: Int64(clamping: server.evictedConnections - evictedSoFar))
        evictedSoFar = server.evictedConnections
        bufferedBodies.record(server.bufferedBodyBytes)
        self.waiters.record(waiters)
        self.subscribers.record(subscribers)
        for (status, gauge) in tasks { gauge.record(table.count(withStatus: status)) }
        awaited.record(table.awaited.count)
        registrations.record(table.registrations.count)
        return registry?.emitToBuffer() ?? Array("# metrics backend is not Prometheus\n".utf8)
    }
}
