import CoreMetrics
import Prometheus
import TaskhookCore
import TaskhookHTTP
import TaskhookState

/// The daemon's metrics, through swift-metrics (the executable bootstraps the Prometheus
/// backend). Counters are made once and kept: making one per event would take the factory's
/// lock on the hot path.
final class DaemonMetrics {
    private var deliveries: [String: CoreMetrics.Counter] = [:]
    private var answers: [Int: CoreMetrics.Counter] = [:]
    private var answered: [Int: UInt64] = [:]
    private let commits = CoreMetrics.Counter(label: "taskhook_journal_commits_total")
    private let batchRecords = CoreMetrics.Recorder(label: "taskhook_journal_batch_records", aggregate: true)
    private let fsync = CoreMetrics.Timer(label: "taskhook_journal_fsync_seconds")
    private let connections = CoreMetrics.Gauge(label: "taskhook_open_connections")
    private let waiters = CoreMetrics.Gauge(label: "taskhook_waiters")
    private let subscribers = CoreMetrics.Gauge(label: "taskhook_event_subscribers")
    private let unparsed = CoreMetrics.Gauge(label: "taskhook_unparsed_waiting")
    private let tasks = Dictionary(
        uniqueKeysWithValues: TaskStatus.allCases.map {
            ($0, CoreMetrics.Gauge(label: "taskhook_tasks", dimensions: [("status", $0.rawValue)]))
        })
    /// Renders the Prometheus text, when the backend is Prometheus.
    let registry: PrometheusCollectorRegistry?

    init(registry: PrometheusCollectorRegistry?) { self.registry = registry }

    /// outcome: recorded, duplicate, unparsed, rejected (401), failed (503), reread (an unparsed
    /// callback a profile now reads, applied).
    func delivery(provider: String, outcome: String) {
        let key = provider + "\u{1F}" + outcome
        if let counter = deliveries[key] {
            counter.increment()
            return
        }
        let counter = CoreMetrics.Counter(
            label: "taskhook_deliveries_total", dimensions: [("provider", provider), ("outcome", outcome)])
        deliveries[key] = counter
        counter.increment()
    }

    func committed(records: Int, syncNanoseconds: UInt64) {
        commits.increment()
        batchRecords.record(records)
        fsync.recordNanoseconds(Int64(clamping: syncNanoseconds))
    }

    /// Brings the gauges and the answer counts up to date, then renders the text.
    func scrape(server: HTTPServer, table: TaskTable, waiters: Int, subscribers: Int, unparsed: Int = 0) -> [UInt8] {
        self.unparsed.record(unparsed)
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
        self.waiters.record(waiters)
        self.subscribers.record(subscribers)
        var byStatus: [TaskStatus: Int] = [:]
        for task in table.tasks.values { byStatus[task.status, default: 0] += 1 }
        for (status, gauge) in tasks { gauge.record(byStatus[status] ?? 0) }
        return registry?.emitToBuffer() ?? Array("# metrics backend is not Prometheus\n".utf8)
    }
}
