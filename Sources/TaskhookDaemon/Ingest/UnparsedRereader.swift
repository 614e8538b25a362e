import Logging
import TaskhookCore
import TaskhookProviders
import TaskhookState

/// Keeps the authentic callbacks no profile could read, and reads them again with the current
/// routes at start and at every reload. One that a profile now reads is journaled again as a
/// delivery marked with the unparsed record's sequence and time (a re-read record): its events
/// are applied with that sequence and time, once, and replay finds the marker, so a restart
/// neither applies it twice nor reads it again. The marker, not a fresh reading at each
/// start, is what decides: a later profile that reads it differently (or not at all) does not
/// change what was applied.
final class UnparsedRereader {
    private(set) var waiting: [UnparsedCallback]
    /// Re-read records being written: not read again until they are durable or fail.
    private var staged: Set<UInt64> = []
    /// (route, reason) pairs logged already: a provider that keeps sending one shape is logged once.
    private var logged: Set<String> = []
    private let logger: Logger
    private let metrics: DaemonMetrics?

    init(waiting: [UnparsedCallback], metrics: DaemonMetrics?, logger: Logger) {
        self.waiting = waiting
        self.metrics = metrics
        self.logger = logger
    }

    /// A callback just journaled as unparsed.
    func add(_ callback: UnparsedCallback) {
        waiting.append(callback)
        let route = callback.delivery.route
        if logged.insert(route + "\u{1F}" + callback.reason).inserted {
            logger.notice(
                "authentic callback not understood; journaled as unparsed, read again at every reload",
                metadata: [
                    "route": "\(route)", "reason": "\(callback.reason)", "journal_seq": "\(callback.sequence)",
                ])
        }
    }

    /// Reads every waiting callback with its route's current profile; returns how many became
    /// readable (and were handed to the recorder). A callback whose route is gone, or now
    /// belongs to another provider, keeps waiting.
    @discardableResult
    func reread(routes: (String) -> WebhookRoute?, recorder: DeliveryRecorder) -> Int {
        var readable = 0
        for callback in waiting where !staged.contains(callback.sequence) {
            guard let route = routes(callback.delivery.route), route.provider == callback.delivery.provider else {
                continue
            }
            let reading = Callback(
                headers: callback.delivery.headers, body: callback.delivery.body, receivedAt: callback.time / 1000)
            guard case .events(let events, let note) = route.normalizer.normalize(reading), !events.isEmpty else {
                continue
            }
            readable += 1
            staged.insert(callback.sequence)
            recorder.record(callback.reread(events: events, note: note)) { [weak self] outcome in
                self?.finished(callback, outcome)
            }
        }
        return readable
    }

    private func finished(_ callback: UnparsedCallback, _ outcome: DeliveryRecorder.Outcome) {
        staged.remove(callback.sequence)
        switch outcome {
        case .recorded(let sequence):
            waiting.removeAll { $0.sequence == callback.sequence }
            metrics?.delivery(provider: callback.delivery.provider, outcome: "reread")
            logger.info(
                "unparsed callback read and applied",
                metadata: [
                    "route": "\(callback.delivery.route)", "journal_seq": "\(sequence)",
                    "applies_as": "\(callback.sequence)",
                ])
        case .duplicate:
            break
        case .failed(let error):
            logger.error(
                "could not journal a re-read callback; it is read again at the next reload",
                metadata: ["journal_seq": "\(callback.sequence)", "reason": "\(error)"])
        }
    }
}
