import TaskhookCore
import TaskhookHTTP
import TaskhookPosix
import TaskhookState

/// `GET /v1/events`: Server-Sent Events of task changes in journal order. Each event's `id:` is
/// the journal sequence of the delivery that made the change, so a client resumes exactly where
/// it stopped with `Last-Event-ID` (or `?since=N`); `?task=ID` narrows the stream to one task;
/// `?follow=false` sends what is stored and ends.
///
/// What happened before the stream began (the backlog: `since=0`, the CLI's default, is every
/// report the table keeps) is paged from the task table's reports (`ReportBacklog`), a bounded
/// step at a time between the loop's other work, and a page only once the client has taken most
/// of the one before: never built whole on the loop, nor queued whole for a client that reads
/// slowly. Live changes that come meanwhile wait behind it (or, too many, are found by another
/// backlog after it). The table, not the journal, is the source: it holds every kind of report
/// (callbacks and whatever else applies events) already decoded and in memory, the journal's
/// retention may have dropped segments whose tasks the table still keeps, and reading segments
/// would put disk reads on the loop.
///
/// At most `maxSubscribers` streams are open (503 with Retry-After beyond). Comments keep idle
/// connections alive. A live subscriber that stops reading is dropped once `maxBacklogBytes` of
/// events wait for it; it can resume from its last id.
final class EventStream {
    private let loop: EventLoop
    private let store: TaskStore
    private var subscribers: [Int: EventSubscriber] = [:]
    /// Streams still sending their backlog, oldest first; the first `concurrentBacklogs` are paged.
    private var backlogs: [Int] = []
    private var nextID = 0
    private var heartbeat: EventLoop.TimerID?
    private var pager: EventLoop.TimerID?
    let heartbeatInterval: Duration
    let maxBacklogBytes: Int
    let maxSubscribers: Int

    /// A page is sent once fewer bytes than this wait for the client.
    static let pageBytes = 64 * 1024
    /// Events a step sends at most (a page of about 25 KiB, well under a millisecond's work).
    static let pageEvents = 128
    /// Tasks one step of a backlog looks at: a shard or two at a million tasks, about 0.1 ms
    /// with each task a cache miss. Small because a step is what a paging slice can overrun by,
    /// and a cache miss is what the machine slows first: a second or two after a process frees
    /// a few hundred MiB, this project's VMs run random reads 300 times slower for a moment
    /// (bench/canary.c), and steps of 1,024 tasks then took 11 to 80 ms.
    static let stepTasks = 256
    /// How long one round of paging goes on before the loop sees to its sockets. The loop runs
    /// due timers before and after waiting for them, so an iteration may hold two rounds: at
    /// 0.5 ms, with a step at most past each, they leave room in the 5 ms `/metrics` counts as
    /// slow for a `/v1/tasks` page and the callbacks of the same iteration.
    static let pagingSlice = Duration.microseconds(500)
    /// Backlogs paged at once: each holds up to a window of found reports, so memory is bounded.
    static let concurrentBacklogs = 8

    init(
        store: TaskStore, loop: EventLoop, heartbeatInterval: Duration = .seconds(15), maxBacklogBytes: Int = 1 << 20,
        maxSubscribers: Int = 256
    ) {
        self.loop = loop
        self.store = store
        self.heartbeatInterval = heartbeatInterval
        self.maxBacklogBytes = maxBacklogBytes
        self.maxSubscribers = maxSubscribers
        store.addChangeListener { [unowned self] task, report in self.changed(task, report) }
    }

    var count: Int { subscribers.count }

    func subscribe(_ request: Request, _ query: Query, _ responder: any Responder) {
        var since: UInt64 = 0
        if let text = query["since"] ?? request.head.fields["last-event-id"] {
            guard let value = UInt64(text) else {
                responder.respond(
                    ControlRoutes.error(.badRequest, "since (or Last-Event-ID) must be a journal sequence number"))
                return
            }
            since = value
        }
        guard subscribers.count < maxSubscribers else {
            var refusal = ControlRoutes.error(
                .serviceUnavailable, "\(maxSubscribers) event streams are open (the limit); retry later")
            refusal.headers.append(name: "Retry-After", value: "5")
            responder.respond(refusal)
            return
        }
        let task = query["task"]
        let follow = !["false", "0", "no"].contains(query["follow"] ?? "")
        responder.startStream(
            Response(
                status: .ok,
                headers: HTTPFields([("Content-Type", "text/event-stream"), ("Cache-Control", "no-cache")]),
                body: Array(": taskhook events\n\n".utf8)))
        nextID += 1
        let id = nextID
        let subscriber = EventSubscriber(responder: responder, task: task, follow: follow)
        subscribers[id] = subscriber
        responder.onDisconnect = { [unowned self] in self.remove(id) }
        responder.onInputClosed = { [unowned self] in self.remove(id)?.responder.finish() }
        // The first subscriber starts the keep-alives; `beat` keeps them going while anyone
        // listens. Re-arming on every subscribe would push the next comment back each time, and
        // a steady trickle of new subscribers would starve the idle ones of keep-alives.
        if subscribers.count == 1 { armHeartbeat() }

        let table = store.table
        let keys = task.map { Self.named($0, in: table).map(\.key) }
        subscriber.backlog = ReportBacklog(after: since, through: table.lastSequence, keys: keys)
        backlogs.append(id)
        // A first step at once: a small backlog is sent (and a `follow=false` stream ended) now.
        page(id, subscriber)
        if subscribers[id] != nil, subscriber.backlog != nil { armPager() }
    }

    /// The tasks `?task=` names: `provider:id`, or every task with a bare id.
    private static func named(_ reference: String, in table: TaskTable) -> [TrackedTask] {
        if let key = TaskKey(qualified: reference), let task = table[key] { return [task] }
        return table.tasks(withID: reference)
    }

    @discardableResult
    private func remove(_ id: Int) -> EventSubscriber? {
        guard let subscriber = subscribers.removeValue(forKey: id) else { return nil }
        backlogs.removeAll { $0 == id }
        return subscriber
    }

    // MARK: Backlogs

    private func armPager() {
        if pager == nil { pager = loop.addTimer { [unowned self] in self.pageBacklogs() } }
        // Just after now, not now: the loop's timer pass would run it again at once, never
        // letting the loop see its sockets in between.
        loop.setTimer(pager!, deadline: loop.now + .nanoseconds(1))
    }

    /// Pages the oldest backlogs in turn for a slice of time, then lets the loop go on.
    private func pageBacklogs() {
        let started = Instant.now()
        var paged = true
        while paged, Instant.now() - started < Self.pagingSlice {
            paged = false
            for id in backlogs.prefix(Self.concurrentBacklogs) {
                guard let subscriber = subscribers[id], !subscriber.waitingForDrain else { continue }
                page(id, subscriber)
                paged = true
            }
        }
        let ready = backlogs.prefix(Self.concurrentBacklogs).contains { subscribers[$0]?.waitingForDrain == false }
        if ready { armPager() }
    }

    /// One step of a subscriber's backlog, once its client has taken most of the last page.
    private func page(_ id: Int, _ subscriber: EventSubscriber) {
        guard var backlog = subscriber.backlog else { return }
        let responder = subscriber.responder
        if responder.pendingBytes >= Self.pageBytes {
            subscriber.waitingForDrain = true
            responder.whenDrained(below: Self.pageBytes) { [weak self] in
                guard let self, let subscriber = self.subscribers[id] else { return }
                subscriber.waitingForDrain = false
                self.armPager()
            }
            return
        }
        subscriber.backlog = nil  // moved out, so the step changes it in place
        let entries = backlog.step(store.table, taskBudget: Self.stepTasks, limit: Self.pageEvents)
        if !entries.isEmpty {
            var bytes: [UInt8] = []
            for (task, report) in entries { bytes += Self.message(task, report) }
            guard responder.send(bytes) else {
                remove(id)
                return
            }
        }
        guard backlog.isFinished else {
            subscriber.backlog = backlog
            return
        }
        backlogs.removeAll { $0 == id }
        if subscriber.heldOverflowed {
            // More changed meanwhile than was worth holding: they are the next backlog.
            subscriber.held = []
            subscriber.heldOverflowed = false
            subscriber.backlog = ReportBacklog(
                after: backlog.through, through: store.table.lastSequence, keys: backlog.keys)
            backlogs.append(id)
        } else if !subscriber.follow {
            remove(id)
            responder.finish()  // what is stored, then the end: for a reader that does not follow
        } else if !subscriber.held.isEmpty {
            let held = subscriber.held
            subscriber.held = []
            send(held, to: id, subscriber)
        }
    }

    // MARK: Live changes

    /// A durable report changed a task.
    private func changed(_ task: TrackedTask, _ report: TrackedTask.Report) {
        guard report.applied, !subscribers.isEmpty else { return }
        let bytes = Self.message(task, report)
        for (id, subscriber) in subscribers
        where subscriber.task == nil || subscriber.task == task.id
            || subscriber.task == task.key.description
        {
            guard subscriber.backlog != nil else {
                send(bytes, to: id, subscriber)
                continue
            }
            // After its backlog, in order; a stream that does not follow wants none of it.
            guard subscriber.follow, !subscriber.heldOverflowed else { continue }
            subscriber.held += bytes
            if subscriber.held.count > maxBacklogBytes {
                subscriber.held = []
                subscriber.heldOverflowed = true
            }
        }
    }

    private func send(_ bytes: [UInt8], to id: Int, _ subscriber: EventSubscriber) {
        guard subscriber.responder.pendingBytes < maxBacklogBytes, subscriber.responder.send(bytes) else {
            // Too far behind (or gone): let it go; it can resume from the last id it saw.
            remove(id)
            subscriber.responder.finish()
            return
        }
    }

    private func armHeartbeat() {
        if heartbeat == nil {
            heartbeat = loop.addTimer { [unowned self] in self.beat() }
        }
        loop.setTimer(heartbeat!, deadline: loop.now + heartbeatInterval)
    }

    private func beat() {
        let comment = Array(": keep-alive\n\n".utf8)
        for (id, subscriber) in subscribers { send(comment, to: id, subscriber) }
        if !subscribers.isEmpty { loop.setTimer(heartbeat!, deadline: loop.now + heartbeatInterval) }
    }

    func shutdown() {
        for subscriber in subscribers.values { subscriber.responder.finish() }
        subscribers.removeAll()
        backlogs.removeAll()
    }
}
