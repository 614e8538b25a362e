import TaskhookCore
import TaskhookHTTP
import TaskhookPosix
import TaskhookState

/// `GET /v1/events`: Server-Sent Events of task changes in journal order. Each event's `id:` is
/// the journal sequence of the delivery that made the change, so a client resumes exactly where
/// it stopped with `Last-Event-ID` (or `?since=N`); `?task=ID` narrows the stream to one task;
/// `?follow=false` sends what is stored and ends.
/// Comments keep idle connections alive. A subscriber that stops reading is dropped once
/// `maxBacklogBytes` of events wait for it; it can resume from its last id.
final class EventStream {
    private struct Subscriber {
        let responder: any Responder
        let task: String?
    }

    private let loop: EventLoop
    private let store: TaskStore
    private var subscribers: [Int: Subscriber] = [:]
    private var nextID = 0
    private var heartbeat: EventLoop.TimerID?
    let heartbeatInterval: Duration
    let maxBacklogBytes: Int

    init(
        store: TaskStore, loop: EventLoop, heartbeatInterval: Duration = .seconds(15), maxBacklogBytes: Int = 1 << 20
    ) {
        self.loop = loop
        self.store = store
        self.heartbeatInterval = heartbeatInterval
        self.maxBacklogBytes = maxBacklogBytes
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
        let task = query["task"]
        // Everything already durable after `since`, then live events as they come.
        var backlog = ": taskhook events\n\n"
        for (task, delivery) in missed(after: since, task: task) { backlog += Self.message(task, delivery) }
        responder.startStream(
            Response(
                status: .ok,
                headers: HTTPFields([("Content-Type", "text/event-stream"), ("Cache-Control", "no-cache")]),
                body: Array(backlog.utf8)))
        if let follow = query["follow"], ["false", "0", "no"].contains(follow) {
            responder.finish()  // what is stored, then the end: for a reader that does not follow
            return
        }
        nextID += 1
        let id = nextID
        subscribers[id] = Subscriber(responder: responder, task: task)
        responder.onDisconnect = { [unowned self] in self.subscribers[id] = nil }
        responder.onInputClosed = { [unowned self] in
            self.subscribers.removeValue(forKey: id)?.responder.finish()
        }
        // The first subscriber starts the keep-alives; `beat` keeps them going while anyone
        // listens. Re-arming on every subscribe would push the next comment back each time, and
        // a steady trickle of new subscribers would starve the idle ones of keep-alives.
        if subscribers.count == 1 { armHeartbeat() }
    }

    /// The applied deliveries after `sequence`, in journal order.
    private func missed(after sequence: UInt64, task: String?) -> [(TrackedTask, TrackedTask.Report)] {
        let table = store.table
        // Nothing after the newest record: a reader resuming at the head costs no scan.
        guard sequence < table.lastSequence else { return [] }
        let tasks = task.map { Self.named($0, in: table) } ?? Array(table.tasks.values)
        var found: [(TrackedTask, TrackedTask.Report)] = []
        for task in tasks {
            for delivery in task.reports where delivery.applied && delivery.sequence > sequence {
                found.append((task, delivery))
            }
        }
        return found.sorted { $0.1.sequence < $1.1.sequence }
    }

    /// The tasks `?task=` names: `provider:id`, or every task with a bare id.
    private static func named(_ reference: String, in table: TaskTable) -> [TrackedTask] {
        if let key = TaskKey(qualified: reference), let task = table[key] { return [task] }
        return table.tasks(withID: reference)
    }

    /// A durable report changed a task.
    private func changed(_ task: TrackedTask, _ report: TrackedTask.Report) {
        guard report.applied, !subscribers.isEmpty else { return }
        let bytes = Array(Self.message(task, report).utf8)
        for (id, subscriber) in subscribers
        where subscriber.task == nil || subscriber.task == task.id
            || subscriber.task == task.key.description
        {
            send(bytes, to: id, subscriber)
        }
    }

    private func send(_ bytes: [UInt8], to id: Int, _ subscriber: Subscriber) {
        guard subscriber.responder.pendingBytes < maxBacklogBytes, subscriber.responder.send(bytes) else {
            // Too far behind (or gone): let it go; it can resume from the last id it saw.
            subscribers[id] = nil
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
    }

    /// One event: `id` the journal sequence, `data` what the delivery made of the task.
    static func message(_ task: TrackedTask, _ delivery: TrackedTask.Report) -> String {
        let final = delivery.status.isTerminal
        let data: JSON = .object([
            ("sequence", .integer(delivery.sequence)), ("task_id", .string(task.id)),
            ("provider", .string(task.provider)), ("status", .string(delivery.status.rawValue)),
            ("terminal", .bool(final)), ("results", .array(final ? task.results.map { .string($0) } : [])),
            ("error", final ? .optional(task.error) : .null), ("time", .integer(delivery.time)),
        ])
        return "id: \(delivery.sequence)\nevent: task\ndata: \(data.text)\n\n"
    }
}
