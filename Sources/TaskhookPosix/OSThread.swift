import CLinux
import Glibc
import SystemPackage

/// A plain joinable thread, for the journal writer and the checkpoint encoder.
public final class OSThread: @unchecked Sendable {
    // @unchecked: `handle` is written once by start() before any other thread can see it.
    private let body: @Sendable () -> Void
    private var handle: UInt = 0
    private var started = false

    public init(_ body: @escaping @Sendable () -> Void) { self.body = body }

    public func start() throws(SyscallError) {
        let context = Unmanaged.passRetained(self).toOpaque()
        let rc = clinux_thread_start(
            &handle,
            { raw in
                let thread = Unmanaged<OSThread>.fromOpaque(raw!).takeRetainedValue()
                thread.body()
                return nil
            }, context)
        guard rc == 0 else {
            Unmanaged<OSThread>.fromOpaque(context).release()
            throw SyscallError("pthread_create", Errno(rawValue: rc))
        }
        started = true
    }

    public func join() {
        guard started else { return }
        started = false
        pthread_join(pthread_t(handle), nil)
    }

    /// Lowers the calling thread's scheduling priority (nice 10: about a tenth of a CPU the
    /// event loop also wants), for background work such as encoding a checkpoint, so that it
    /// does not stretch the loop's iterations when both run on one core. Best effort.
    public static func lowerPriority() {
        // On Linux the nice value belongs to the thread, and `who` 0 names the calling one.
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 10)
    }

    /// Blocks the calling thread for good: the test-only hang that proves the watchdog trips.
    public static func blockForever() -> Never {
        while true { sleep(3600) }
    }
}

/// A mutex with a condition variable, for a thread that sleeps until there is work.
public final class ConditionLock: @unchecked Sendable {
    // @unchecked: the pthread objects are only touched through pthread calls, which synchronize.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    public init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        condition.deallocate()
    }

    public func withLock<R>(_ body: () throws -> R) rethrows -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }

    /// Waits for a signal; call with the lock held (inside `withLock`).
    public func wait() { pthread_cond_wait(condition, mutex) }

    public func signal() { pthread_cond_signal(condition) }

    /// Wakes every waiter: for a lock whose threads wait for different things.
    public func broadcast() { pthread_cond_broadcast(condition) }
}
