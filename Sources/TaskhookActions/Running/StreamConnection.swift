import Logging
import TaskhookClient
import TaskhookPosix

/// The runner's side of taskhookd's event stream: connected from the ledger's cursor, read as
/// it becomes readable, and connected again (backoff from 100 ms doubling to 5 s) when taskhookd
/// restarts, refuses, or goes silent past the keep-alives it sends every 15 s. An outage is
/// logged once when it starts and once when it ends.
struct StreamConnection {
    let endpoint: ControlEndpoint
    let logger: Logger
    private(set) var stream: EventSubscription?
    private var nextTry = Instant.now()
    private var delay = Self.firstDelay
    private var lastHeard = Instant.now()
    private var outage: String?
    static let firstDelay = Duration.milliseconds(100)
    static let longestDelay = Duration.seconds(5)
    static let silenceLimit = Duration.seconds(45)

    init(endpoint: ControlEndpoint, logger: Logger) {
        self.endpoint = endpoint
        self.logger = logger
    }

    /// While disconnected, how long until the next try.
    var waitBeforeNextTry: Duration? {
        guard stream == nil else { return nil }
        return max(.zero, nextTry - Instant.now())
    }

    mutating func connectIfDue(since cursor: UInt64) {
        guard stream == nil, Instant.now() >= nextTry else { return }
        do {
            stream = try EventSubscription(endpoint, since: cursor, follow: true, task: nil)
            lastHeard = Instant.now()
            delay = Self.firstDelay
            if let reason = outage {
                logger.notice(
                    "reading taskhookd's events again", metadata: ["since": "\(cursor)", "after": "\(reason)"])
            } else {
                logger.info("reading taskhookd's events", metadata: ["since": "\(cursor)", "endpoint": "\(endpoint)"])
            }
            outage = nil
        } catch {
            fail("\(error)")
        }
    }

    /// The task ends that arrived; checks for silence when nothing is `readable`.
    mutating func read(readable: Bool) -> [TaskEnd] {
        guard let stream else { return [] }
        guard readable else {
            if Instant.now() - lastHeard > Self.silenceLimit { fail("taskhookd sent nothing for \(Self.silenceLimit)") }
            return []
        }
        lastHeard = Instant.now()
        let events: [ServerSentEvent]
        do {
            guard let received = try stream.next(timeout: .zero) else {
                fail("taskhookd ended the event stream")
                return []
            }
            events = received
        } catch {
            fail("\(error)")
            return []
        }
        var ends: [TaskEnd] = []
        for event in events {
            do {
                if let end = TaskEnd(try EventView.parse(event.data)) { ends.append(end) }
            } catch {
                logger.warning(
                    "an event that cannot be read", metadata: ["journal_seq": "\(event.id)", "reason": "\(error)"])
            }
        }
        return ends
    }

    mutating func close() { stream = nil }

    /// The very first start's cursor: 0 with `backfill`, else the newest event taskhookd holds
    /// (read from its stored events to the end, once), so only tasks that end afterwards are
    /// acted on. nil while taskhookd cannot be asked.
    mutating func firstCursor(backfill: Bool) -> UInt64? {
        if backfill { return 0 }
        guard Instant.now() >= nextTry else { return nil }
        do {
            let backlog = try EventSubscription(endpoint, since: 0, follow: false, task: nil)
            var newest: UInt64 = 0
            var heard = Instant.now()
            while let events = try backlog.next(timeout: .seconds(1)) {
                if !events.isEmpty { heard = Instant.now() }
                if Instant.now() - heard > .seconds(30) {
                    throw ControlError.broken("taskhookd stopped sending its stored events")
                }
                newest = max(newest, events.map(\.id).max() ?? 0)
            }
            logger.notice(
                "first start: acting on tasks that end from now on (backfill: true would act on the stored ones too)",
                metadata: ["cursor": "\(newest)"])
            return newest
        } catch {
            fail("\(error)")
            return nil
        }
    }

    private mutating func fail(_ reason: String) {
        stream = nil
        nextTry = Instant.now() + delay
        delay = min(delay * 2, Self.longestDelay)
        if outage == nil {
            logger.warning("taskhookd's event stream is unavailable; retrying", metadata: ["reason": "\(reason)"])
        } else {
            logger.debug("still unavailable", metadata: ["reason": "\(reason)"])
        }
        outage = reason
    }
}
