import Foundation
import TaskhookPosix

/// The attempts running now, each on a thread of its own (a command's output is read and its
/// timeout kept there; a download blocks there), handing back how each ended through a mailbox
/// and an eventfd the runner's loop waits on.
final class AttemptWorkers: @unchecked Sendable {
    // @unchecked: `finished` is only touched under `lock`; `threads` only by the runner's thread.
    struct Completion: Sendable {
        var key: JobKey
        var attempt: Int
        var outcome: AttemptOutcome
    }

    let wakeup: EventFD
    private let lock = NSLock()
    private var finished: [Completion] = []
    private var threads: [JobKey: OSThread] = [:]

    init() throws(SyscallError) {
        wakeup = try EventFD()
    }

    /// Runs `body` on a new thread for `start`.
    func launch(_ start: ActionScheduler.Start, _ body: @escaping @Sendable () -> AttemptOutcome) throws(SyscallError) {
        let key = start.key
        let attempt = start.attempt
        let thread = OSThread { [self] in
            let outcome = body()
            lock.withLock { finished.append(Completion(key: key, attempt: attempt, outcome: outcome)) }
            wakeup.signal()
        }
        try thread.start()
        threads[key] = thread
    }

    /// The attempts that ended since the last call (their threads joined).
    func takeFinished() -> [Completion] {
        _ = wakeup.drain()
        let done = lock.withLock {
            defer { finished.removeAll() }
            return finished
        }
        for completion in done { threads.removeValue(forKey: completion.key)?.join() }
        return done
    }
}
