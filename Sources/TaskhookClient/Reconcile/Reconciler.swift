import TaskhookProviders

/// The reconciler's decisions as a pure state machine: the expected tasks a listing gives in, what to
/// do next out (list again, read a task, wait, finish), and each read's result back in. It reads a
/// task only once it has been quiet for its quiet period, through a `PollSchedule` (concurrency,
/// per-vendor rates, backoff, `Retry-After`); a callback that comes meanwhile pushes the read back.
/// `taskhook reconcile` carries the actions out; the clock and randomness are passed in.
public struct Reconciler: Sendable {
    public let settings: ReconcileSettings
    public private(set) var schedule: PollSchedule
    var targets: [String: PollTarget] = [:]
    /// Tasks read no more (a refusal that retrying will not change), with the reason; until the
    /// reconciler restarts, when a fixed key or configuration gets its chance.
    public private(set) var gaveUp: [String: String] = [:]
    var reportedUnpollable: Set<String> = []
    /// When to list next; `.infinity` while a listing is under way or (in one pass) done.
    var nextListing = 0.0
    var listingFailures = 0
    var listedOnce = false
    var attempts: [String: Int] = [:]
    /// In one pass: the tasks that could not be read, with why.
    public private(set) var unread: [String: String] = [:]
    /// In one pass: the tasks read and handed over (or found still running).
    public private(set) var read = 0

    public init(settings: ReconcileSettings) {
        self.settings = settings
        schedule = PollSchedule(policy: settings.policy)
    }

    public enum Action: Sendable, Equatable {
        /// Ask the daemon for the expected tasks (every page), then call `listed` or `listingFailed`.
        case list
        /// Read this task's status, hand an observation over, then call `finished`.
        case read(PollTarget)
        /// Nothing to do before `until` (seconds), unless a read finishes first.
        case wait(until: Double)
        /// The pass is over (`once`): nothing due is left unread.
        case finish
    }

    /// How one read went, as far as the schedule cares.
    public enum ReadResult: Sendable, Equatable {
        /// The daemon took the observation; the task's status after it, and whether it has ended.
        case handedOver(ObservationAnswer.Outcome, status: String, terminal: Bool)
        /// The provider says it is still running, in words with no callback counterpart (fal's queue).
        case running(String)
        /// The provider did not give a status (`isTransient` tells whether to try again).
        case providerFailed(SubmitError)
        /// The daemon did not take the observation for a passing reason (503, unreachable).
        case daemonUnavailable(String)
        /// The daemon refused it for good: 404 (the task is no longer known), 422 (unreadable).
        case daemonRefused(status: Int, String)
    }

    /// Something a person should hear of once.
    public enum Notice: Sendable, Equatable {
        case unpollable(key: String, reason: String)
        case gaveUp(key: String, reason: String)
        case listingFailed(String, retryIn: Double?)
    }

    public mutating func next(now: Double) -> Action {
        if now >= nextListing {
            nextListing = .infinity
            return .list
        }
        while true {
            switch schedule.next(now: now) {
            case .read(let key):
                guard let target = targets[key] else {
                    // Its listing entry went while it waited: nothing left to read.
                    schedule.finished(key, .finished, now: now, unit: 0)
                    continue
                }
                return .read(target)
            case .wait(let until):
                return .wait(until: min(until, nextListing))
            case .idle:
                if settings.once && listedOnce && schedule.inFlight.isEmpty { return .finish }
                return .wait(until: nextListing)
            }
        }
    }

    /// Takes a whole listing: every task expected and not ended. New ones are scheduled for when
    /// their quiet period ends, known ones pushed back if news came, absent ones forgotten.
    public mutating func listed(_ tasks: [TaskView], now: Double) -> [Notice] {
        listedOnce = true
        listingFailures = 0
        nextListing = settings.once ? .infinity : now + settings.relistInterval
        var notices: [Notice] = []
        var seen: Set<String> = []
        for view in tasks where !view.terminal {
            let target: PollTarget
            switch PollTarget.make(view, settings: settings) {
            case .failure(let unpollable):
                if reportedUnpollable.insert(unpollable.key).inserted {
                    notices.append(.unpollable(key: unpollable.key, reason: unpollable.reason))
                }
                continue
            case .success(let made): target = made
            }
            seen.insert(target.key)
            guard gaveUp[target.key] == nil, unread[target.key] == nil else { continue }
            targets[target.key] = target
            let quiet = target.lastHeard + settings.quietPeriod(for: target.endpoint)
            if settings.once {
                if quiet <= now { schedule.add(target.key, provider: target.endpoint.vendor, due: now) }
            } else if schedule.contains(target.key) {
                schedule.postpone(target.key, until: quiet)
            } else {
                schedule.add(target.key, provider: target.endpoint.vendor, due: max(now, quiet))
            }
        }
        for key in targets.keys where !seen.contains(key) {
            targets[key] = nil
            schedule.remove(key)
        }
        return notices
    }

    /// The daemon did not answer the listing: try again after a backoff (in one pass: finish).
    public mutating func listingFailed(_ reason: String, now: Double, unit: Double) -> Notice {
        listingFailures += 1
        guard !settings.once else {
            listedOnce = true
            return .listingFailed(reason, retryIn: nil)
        }
        let delay = min(settings.relistInterval, settings.policy.backoff(attempt: listingFailures, unit: unit))
        nextListing = now + delay
        return .listingFailed(reason, retryIn: delay)
    }

    /// Records how the read of `target` went; a notice when the task is given up.
    public mutating func finished(_ target: PollTarget, _ result: ReadResult, now: Double, unit: Double) -> Notice? {
        let key = target.key
        switch result {
        case .handedOver(_, _, terminal: true):
            read += 1
            forget(key, now: now)
        case .handedOver, .running:
            read += 1
            if settings.once {
                forget(key, now: now)
            } else {
                schedule.finished(key, .running, now: now, unit: unit)
            }
        case .providerFailed(let error) where error.isTransient:
            var retryAfter: Double?
            if case .unavailable(_, let after) = error { retryAfter = after }
            retry(key, after: retryAfter, because: error.description, now: now, unit: unit)
        case .daemonUnavailable(let reason):
            // The daemon's trouble, not the provider's: this task backs off, the provider is not paused.
            retry(key, after: nil, because: reason, now: now, unit: unit)
        case .daemonRefused(status: 404, _):
            // Forgotten by the daemon since it was listed (past its retention): nothing to reconcile.
            forget(key, now: now)
        case .providerFailed(let error):
            return giveUp(key, because: error.description, now: now)
        case .daemonRefused(let status, let reason):
            return giveUp(key, because: "taskhookd refused the observation (\(status)): \(reason)", now: now)
        }
        return nil
    }

    /// Another read after the backoff; in one pass, only `attemptsPerPass` in all.
    mutating func retry(_ key: String, after retryAfter: Double?, because reason: String, now: Double, unit: Double) {
        if settings.once {
            attempts[key, default: 0] += 1
            if attempts[key, default: 0] >= settings.attemptsPerPass {
                unread[key] = reason
                forget(key, now: now)
                return
            }
        }
        schedule.finished(key, .failed(retryAfter: retryAfter), now: now, unit: unit)
    }

    mutating func giveUp(_ key: String, because reason: String, now: Double) -> Notice {
        gaveUp[key] = reason
        if settings.once { unread[key] = reason }
        forget(key, now: now)
        return .gaveUp(key: key, reason: reason)
    }

    mutating func forget(_ key: String, now: Double) {
        schedule.finished(key, .finished, now: now, unit: 0)
        targets[key] = nil
        attempts[key] = nil
    }
}
