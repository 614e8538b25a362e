/// One thread's event loop, in the spirit of Redis's `ae.c`: file events from epoll and time
/// events from a deadline queue, dispatched by `run()` until `stop()`. Not thread-safe: every
/// method must be called on the loop's own thread. Other threads wake it through an `EventFD`
/// registered like any other descriptor.
public final class EventLoop {
    public typealias IOHandler = (IOEvents) -> Void

    /// A registered descriptor. The generation makes tokens of a freed slot stale, so an event
    /// that was already queued for a closed fd is dropped instead of reaching the fd's successor.
    public struct Registration: Hashable, Sendable {
        let slot: UInt32
        let generation: UInt32
        var token: UInt64 { UInt64(generation) << 32 | UInt64(slot) }
    }

    public struct TimerID: Hashable, Sendable {
        let slot: Int
        let generation: UInt32
    }

    /// Where in the source a timer was added: a long iteration names its slowest timer so.
    private struct Site {
        var file: StaticString
        var line: UInt

        var text: String { "\(file):\(line)" }
    }

    private struct TimerSlot {
        var generation: UInt32 = 0
        var callback: (() -> Void)?
        var site = Site(file: "", line: 0)
        /// When it fires. The queue may hold an earlier entry for it: moving a deadline later,
        /// as every request on a keep-alive connection does, only updates this field, and the
        /// queue catches up when that earlier entry comes due.
        var deadline: Instant?
    }

    private struct Slot {
        var generation: UInt32 = 0
        var fd: Int32 = -1
        var handler: IOHandler?
    }

    private let epoll: Epoll
    private var slots: [Slot] = []
    private var freeSlots: [UInt32] = []
    private var deadlines = DeadlineQueue()
    private var timers: [TimerSlot] = []
    private var freeTimers: [Int] = []
    private var running = false
    private var iterationHooks: [() -> Void] = []
    private var longestBusy: UInt64 = 0
    private var longestOnCPU: UInt64 = 0
    private var slowBusy: UInt64 = 0
    /// This iteration's slowest timer callback so far, and where it was added.
    private var slowestTimer: (site: Site, nanoseconds: UInt64)?
    private var stopping = false
    /// The loop thread's CPU clock and usage when the last iteration ended: where the next one's
    /// start (its wait for events takes next to no CPU time), so that an iteration costs one
    /// reading of each, not two.
    private var lastCPU: UInt64
    private var lastUsage: ThreadUsage

    /// An iteration that keeps the loop busy at least this long counts as slow: every other
    /// connection, waiter and watchdog ping waited that long (issue 13's bound).
    public static let slowIteration: Duration = .milliseconds(5)

    /// One iteration that kept the loop busy for `reportedIteration` or longer, taken apart: the
    /// CPU time says whether it was the loop's own work (or a machine running it slower) or
    /// time off the CPU (preempted, or the hypervisor's), the faults whether memory was being
    /// mapped, and the phases which part of the iteration it was.
    public struct LongIteration: Sendable, Equatable {
        /// Timers, handlers and hooks; the wait for events excluded.
        public var busy: Duration
        /// The loop thread's CPU clock over the iteration; then the same time as the kernel
        /// splits it into user and kernel time (by clock ticks: approximate, and up to a tick
        /// behind, as getrusage(2) is).
        public var onCPU: Duration
        public var user: Duration
        public var system: Duration
        public var minorFaults: Int
        public var majorFaults: Int
        /// Both passes of due timers, the ready handlers, the iteration hooks.
        public var timers: Duration
        public var handlers: Duration
        public var hooks: Duration
        /// The one timer callback that took longest; nil when no timer fired.
        public var slowestTimer: TimerRun?

        /// A timer callback's run: where the timer was added (`Module/File.swift:line`) and how
        /// long the callback took.
        public struct TimerRun: Sendable, Equatable {
            public var site: String
            public var time: Duration

            public init(site: String, time: Duration) { (self.site, self.time) = (site, time) }
        }

        public init(
            busy: Duration, onCPU: Duration, user: Duration, system: Duration, minorFaults: Int, majorFaults: Int,
            timers: Duration, handlers: Duration, hooks: Duration, slowestTimer: TimerRun? = nil
        ) {
            (self.busy, self.onCPU, self.user, self.system) = (busy, onCPU, user, system)
            (self.minorFaults, self.majorFaults) = (minorFaults, majorFaults)
            (self.timers, self.handlers, self.hooks) = (timers, handlers, hooks)
            self.slowestTimer = slowestTimer
        }
    }

    /// Iterations at least this busy go to `onLongIteration`.
    public var reportedIteration: Duration = .milliseconds(50)
    /// Called at the end of an iteration as long as `reportedIteration` (not for the one in
    /// which `stop()` was called: a stop may wait for work on purpose).
    public var onLongIteration: ((LongIteration) -> Void)?

    /// The monotonic time, read before timers fire and before each ready handler runs, so
    /// deadlines set from it are measured from when the work started.
    public private(set) var now: Instant

    public init() throws(SyscallError) {
        epoll = try Epoll()
        now = .now()
        lastCPU = ThreadCPUClock.nanoseconds()
        lastUsage = ThreadUsage.now()
    }

    // MARK: File events

    public func register(
        _ fd: Int32, interest: IOEvents, handler: @escaping IOHandler
    ) throws(SyscallError) -> Registration {
        let index: UInt32
        if let free = freeSlots.popLast() {
            index = free
        } else {
            index = UInt32(slots.count)
            slots.append(Slot())
        }
        slots[Int(index)].fd = fd
        slots[Int(index)].handler = handler
        let registration = Registration(slot: index, generation: slots[Int(index)].generation)
        do {
            try epoll.add(fd, events: interest, token: registration.token)
        } catch {
            release(index)
            throw error
        }
        return registration
    }

    public func setInterest(_ registration: Registration, _ interest: IOEvents) throws(SyscallError) {
        guard let slot = live(registration) else { return }
        try epoll.modify(slot.fd, events: interest, token: registration.token)
    }

    /// Stops watching the descriptor. Call before closing it.
    public func deregister(_ registration: Registration) {
        guard let slot = live(registration) else { return }
        // ENOENT cannot happen for a live slot; any failure leaves nothing to undo.
        try? epoll.remove(slot.fd)
        release(registration.slot)
    }

    private func live(_ registration: Registration) -> Slot? {
        guard Int(registration.slot) < slots.count else { return nil }
        let slot = slots[Int(registration.slot)]
        return slot.generation == registration.generation && slot.handler != nil ? slot : nil
    }

    private func release(_ index: UInt32) {
        slots[Int(index)].generation &+= 1
        slots[Int(index)].fd = -1
        slots[Int(index)].handler = nil
        freeSlots.append(index)
    }

    // MARK: Time events

    /// Creates a timer that fires `callback` once each time it is armed and its deadline passes.
    public func addTimer(
        file: StaticString = #fileID, line: UInt = #line, _ callback: @escaping () -> Void
    ) -> TimerID {
        let slot: Int
        if let free = freeTimers.popLast() {
            slot = free
        } else {
            slot = timers.count
            timers.append(TimerSlot())
        }
        timers[slot].callback = callback
        timers[slot].site = Site(file: file, line: line)
        return TimerID(slot: slot, generation: timers[slot].generation)
    }

    /// Arms the timer for `deadline`, or disarms it with nil.
    /// A timer that runs `body` at `first`, then every `interval` after each run, for as long
    /// as the loop runs (or until `removeTimer`).
    @discardableResult
    public func addRepeatingTimer(
        every interval: Duration, first: Instant, file: StaticString = #fileID, line: UInt = #line,
        _ body: @escaping () -> Void
    ) -> TimerID {
        var id: TimerID?
        let timer = addTimer(file: file, line: line) { [unowned self] in
            body()
            if let id { self.setTimer(id, deadline: self.now + interval) }
        }
        id = timer
        setTimer(timer, deadline: first)
        return timer
    }

    public func setTimer(_ id: TimerID, deadline: Instant?) {
        guard id.slot < timers.count, timers[id.slot].generation == id.generation else { return }
        timers[id.slot].deadline = deadline
        guard let deadline else { return }  // a queued entry is dropped when it comes due
        if let queued = deadlines.deadline(for: id.slot), queued <= deadline { return }
        deadlines.set(id.slot, to: deadline)
    }

    public func removeTimer(_ id: TimerID) {
        guard id.slot < timers.count, timers[id.slot].generation == id.generation else { return }
        deadlines.remove(id.slot)
        timers[id.slot] = TimerSlot(generation: id.generation &+ 1)
        freeTimers.append(id.slot)
    }

    /// Runs `callback` once at `deadline`.
    public func schedule(
        at deadline: Instant, file: StaticString = #fileID, line: UInt = #line, _ callback: @escaping () -> Void
    ) {
        var id: TimerID?
        id = addTimer(file: file, line: line) { [unowned self] in
            if let id { self.removeTimer(id) }
            callback()
        }
        setTimer(id!, deadline: deadline)
    }

    // MARK: Running

    /// Dispatches events until `stop()` is called from a handler.
    public func run() throws(SyscallError) {
        running = true
        stopping = false
        // This thread's clocks: the loop may have been made on another.
        (lastCPU, lastUsage) = (ThreadCPUClock.nanoseconds(), ThreadUsage.now())
        while running {
            try runOnce(maximumWait: nil)
        }
    }

    /// One iteration: fire due timers, wait for I/O (at most until the next deadline, and at
    /// most `maximumWait` when given), dispatch it.
    public func runOnce(maximumWait: Duration?) throws(SyscallError) {
        now = .now()
        let started = now
        slowestTimer = nil
        fireTimers()
        var timeout: Int32 = -1
        if let earliest = deadlines.earliest {
            // Round up so a deadline 0.4 ms away does not turn into a busy loop of zero waits.
            let nanos = earliest > now ? (earliest - now).nanoseconds : 0
            timeout = Int32(clamping: (nanos + 999_999) / 1_000_000)
        }
        if let maximumWait {
            let cap = Int32(clamping: maximumWait.milliseconds)
            timeout = timeout < 0 ? cap : min(timeout, cap)
        }
        // The busy time excludes the wait: two clock reads around it (about 20 ns each with
        // the vDSO) are the whole cost of the measurement.
        let waitStarted = Instant.now()
        var woke: Instant?
        try epoll.wait(timeoutMilliseconds: timeout) { token, events in
            let index = Int(token & 0xFFFF_FFFF)
            let generation = UInt32(token >> 32)
            guard index < slots.count, slots[index].generation == generation,
                let handler = slots[index].handler
            else { return }
            now = .now()
            if woke == nil { woke = now }
            handler(events)
        }
        now = .now()
        let handlersStarted = woke ?? now
        let handlersEnded = now
        fireTimers()
        let hooksStarted = Instant.now()
        for hook in iterationHooks { hook() }
        let ended = Instant.now()
        let busy = (waitStarted - started).nanoseconds &+ (ended - handlersStarted).nanoseconds
        if busy > longestBusy { longestBusy = busy }
        let cpu = ThreadCPUClock.nanoseconds()
        let onCPU = cpu >= lastCPU ? cpu - lastCPU : 0  // 0: a first iteration on another thread
        lastCPU = cpu
        if onCPU > longestOnCPU { longestOnCPU = onCPU }
        let usage = ThreadUsage.now()
        defer { lastUsage = usage }
        if busy >= Self.slowIteration.nanoseconds { slowBusy &+= 1 }
        if busy >= reportedIteration.nanoseconds, !stopping, let onLongIteration {
            let used = usage.since(lastUsage)
            onLongIteration(
                LongIteration(
                    busy: .nanoseconds(Int64(clamping: busy)), onCPU: .nanoseconds(Int64(clamping: onCPU)),
                    user: .nanoseconds(Int64(clamping: used.userNanoseconds)),
                    system: .nanoseconds(Int64(clamping: used.systemNanoseconds)),
                    minorFaults: used.minorFaults, majorFaults: used.majorFaults,
                    timers: (waitStarted - started) + (hooksStarted - handlersEnded),
                    handlers: handlersEnded - handlersStarted, hooks: ended - hooksStarted,
                    slowestTimer: slowestTimer.map {
                        LongIteration.TimerRun(site: $0.site.text, time: .nanoseconds(Int64(clamping: $0.nanoseconds)))
                    }))
        }
    }

    /// The longest time one iteration kept the loop busy (timers, handlers and hooks, not the
    /// wait for events) since the last call, which starts the next measurement.
    public func takeLongestIteration() -> Duration {
        defer { longestBusy = 0 }
        return .nanoseconds(Int64(clamping: longestBusy))
    }

    /// The most CPU time one iteration used (the loop thread's CPU clock, the wait for events
    /// included, which takes next to none) since the last call, which starts the next
    /// measurement. Well below `takeLongestIteration()`, it says the loop was kept waiting for a
    /// CPU (other threads or processes ran), not that its own work took that long.
    public func takeLongestIterationOnCPU() -> Duration {
        defer { longestOnCPU = 0 }
        return .nanoseconds(Int64(clamping: longestOnCPU))
    }

    /// How many iterations since start were busy for `slowIteration` or longer.
    public var slowIterations: UInt64 { slowBusy }

    public func stop() {
        running = false
        stopping = true
    }

    /// Runs `hook` at the end of every iteration, after all ready events were handled: the
    /// place to hand a whole iteration's work to another thread at once.
    public func addIterationHook(_ hook: @escaping () -> Void) {
        iterationHooks.append(hook)
    }

    private func fireTimers() {
        while let slot = deadlines.popExpired(now: now) {
            guard let deadline = timers[slot].deadline else { continue }
            if deadline > now {
                deadlines.set(slot, to: deadline)  // it was moved later; catch up
                continue
            }
            timers[slot].deadline = nil
            guard let callback = timers[slot].callback else { continue }
            // Timed one by one (two clock reads a timer), so a long pass names its cause.
            let site = timers[slot].site
            let began = Instant.now()
            callback()
            let spent = (Instant.now() - began).nanoseconds
            if spent > slowestTimer?.nanoseconds ?? 0 { slowestTimer = (site, spent) }
        }
    }
}
