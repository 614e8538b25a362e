/// Every known task, rebuilt from the journal at start-up and changed only by durable events.
///
/// `apply` is idempotent: an event whose dedupe key was seen before changes nothing. A task's
/// status never moves backwards: a late IN_PROGRESS after COMPLETED is kept in its history
/// but does not change it, and its first terminal status is final.
public struct TaskTable: Sendable, Equatable {
    public enum Outcome: Sendable, Equatable {
        /// The first event of a task.
        case created
        /// The task's status or results changed.
        case changed(from: TaskStatus)
        /// Recorded in the task's history without changing it (late or out of order).
        case kept
        /// The dedupe key was seen before: nothing changed.
        case duplicate

        /// Whether waiters should hear of it.
        public var changedTask: Bool {
            switch self {
            case .created, .changed: true
            case .kept, .duplicate: false
            }
        }
    }

    public private(set) var tasks: [String: Task] = [:]
    private var seen: Set<String> = []
    /// The highest journal sequence applied (events or otherwise).
    public private(set) var lastSequence: UInt64 = 0

    public init() {}

    public var count: Int { tasks.count }

    public subscript(id: String) -> Task? { tasks[id] }

    public func hasSeen(_ dedupeKey: String) -> Bool { seen.contains(dedupeKey) }

    /// Notes a journal record that carried no event, so `lastSequence` stays exact.
    public mutating func advance(to sequence: UInt64) {
        lastSequence = max(lastSequence, sequence)
    }

    @discardableResult
    public mutating func apply(_ event: TaskEvent, dedupeKey: String, sequence: UInt64, time: Int64) -> Outcome {
        advance(to: sequence)
        guard seen.insert(dedupeKey).inserted else { return .duplicate }
        guard var task = tasks[event.taskID] else {
            tasks[event.taskID] = Task(
                id: event.taskID, provider: event.provider, status: event.status, results: event.results,
                error: event.error, firstSeen: time, updated: time,
                deliveries: [Task.Delivery(sequence: sequence, status: event.status, time: time, applied: true)])
            return .created
        }
        let previous = task.status
        // Equal rank but not terminal (a repeated IN_PROGRESS) may still bring news; a terminal
        // status is final, and nothing moves back.
        let applies = event.status.rank > previous.rank || (event.status.rank == previous.rank && !previous.isTerminal)
        task.deliveries.append(Task.Delivery(sequence: sequence, status: event.status, time: time, applied: applies))
        guard applies else {
            tasks[event.taskID] = task
            return .kept
        }
        task.status = event.status
        if !event.results.isEmpty || event.status.isTerminal { task.results = event.results }
        task.error = event.error
        task.updated = time
        tasks[event.taskID] = task
        return .changed(from: previous)
    }
}

extension TaskTable {
    private static let magic: [UInt8] = Array("THTABLE1".utf8)

    /// The checkpoint form of the table.
    public func encoded() -> [UInt8] {
        var w = ByteWriter()
        for b in Self.magic { w.u8(b) }
        w.u64(lastSequence)
        w.u32(UInt32(tasks.count))
        for id in tasks.keys.sorted() {
            let task = tasks[id]!
            w.string(task.id)
            w.string(task.provider)
            w.string(task.status.rawValue)
            w.u32(UInt32(task.results.count))
            for url in task.results { w.string(url) }
            w.optionalString(task.error)
            w.i64(task.firstSeen)
            w.i64(task.updated)
            w.u32(UInt32(task.deliveries.count))
            for d in task.deliveries {
                w.u64(d.sequence)
                w.string(d.status.rawValue)
                w.i64(d.time)
                w.u8(d.applied ? 1 : 0)
            }
        }
        w.u32(UInt32(seen.count))
        for key in seen.sorted() { w.string(key) }
        return w.bytes
    }

    public init(decoding bytes: [UInt8]) throws(DecodeError) {
        var r = ByteReader(bytes)
        for expected in Self.magic where try r.u8() != expected {
            throw DecodeError(reason: "not a task table checkpoint", offset: 0)
        }
        lastSequence = try r.u64()
        let taskCount = try r.count()
        for _ in 0..<taskCount {
            let id = try r.string()
            let provider = try r.string()
            let status = try Self.status(&r)
            let resultCount = try r.count()
            var results: [String] = []
            for _ in 0..<resultCount { results.append(try r.string()) }
            let error = try r.optionalString()
            let firstSeen = try r.i64()
            let updated = try r.i64()
            let deliveryCount = try r.count()
            var deliveries: [Task.Delivery] = []
            for _ in 0..<deliveryCount {
                let sequence = try r.u64()
                let deliveryStatus = try Self.status(&r)
                let time = try r.i64()
                deliveries.append(
                    Task.Delivery(sequence: sequence, status: deliveryStatus, time: time, applied: try r.u8() == 1))
            }
            tasks[id] = Task(
                id: id, provider: provider, status: status, results: results, error: error, firstSeen: firstSeen,
                updated: updated, deliveries: deliveries)
        }
        let seenCount = try r.count()
        for _ in 0..<seenCount { seen.insert(try r.string()) }
        try r.expectEnd()
    }

    private static func status(_ r: inout ByteReader) throws(DecodeError) -> TaskStatus {
        let at = r.offset
        guard let status = TaskStatus(rawValue: try r.string()) else {
            throw DecodeError(reason: "unknown task status", offset: at)
        }
        return status
    }
}
