import Logging
import TaskhookPosix

/// Which repeats of a warning to log: the first of a kind at once, then at most one a
/// `interval`, which says how many were held back since the last one logged. A flood of bad
/// signatures or refused connections then costs a line every few seconds instead of a line
/// each (which hid the real warnings and kept the loop writing). Pure: the clock is passed in.
struct RepeatLimiter {
    let interval: Duration
    /// Kinds remembered at most; beyond, new kinds share one slot, so a client that varies
    /// what it gets wrong cannot grow this without bound.
    let maxKinds: Int
    private var kinds: [String: (lastLogged: Instant, heldBack: Int)] = [:]

    init(interval: Duration = .seconds(10), maxKinds: Int = 256) {
        self.interval = interval
        self.maxKinds = maxKinds
    }

    /// Whether to log this occurrence of `kind` now; if so, how many of it were held back since
    /// its last line. nil: hold it back.
    mutating func admit(_ kind: String, now: Instant) -> Int? {
        let key = kinds[kind] != nil || kinds.count < maxKinds ? kind : "(other)"
        guard let entry = kinds[key] else {
            kinds[key] = (now, 0)
            return 0
        }
        guard now >= entry.lastLogged + interval else {
            kinds[key]!.heldBack += 1
            return nil
        }
        kinds[key] = (now, 0)
        return entry.heldBack
    }
}

/// Warnings that clients can cause (rejected callbacks, refused connections), logged through a
/// `RepeatLimiter` per kind, with `repeated=N` on the line that follows N held back.
final class WarningThrottle {
    private let logger: Logger
    private var limiter: RepeatLimiter
    private let now: () -> Instant

    init(logger: Logger, limiter: RepeatLimiter = RepeatLimiter(), now: @escaping () -> Instant = { Instant.now() }) {
        self.logger = logger
        self.limiter = limiter
        self.now = now
    }

    /// `key` names the kind: warnings with the same key are one kind.
    func warning(_ message: Logger.Message, key: String, metadata: Logger.Metadata) {
        guard let heldBack = limiter.admit(key, now: now()) else { return }
        var metadata = metadata
        if heldBack > 0 { metadata["repeated"] = "\(heldBack)" }
        logger.warning(message, metadata: metadata)
    }
}
