import TaskhookCore

extension TaskTable {
    /// Version 5 writes each task as the table packs it (`PackedTask.write(into:)`): writing a
    /// checkpoint copies bytes, and reading one checks them and takes them as they are, with no
    /// task unpacked and packed again. Version 4 added each report's source, each task's
    /// expectation and the registrations not yet bound; version 3 each task's external id.
    /// Versions 2 (written before tasks were keyed by provider and id) to 4 are still read:
    /// their reports (before 4) came from callbacks and nothing was expected.
    fileprivate static let magic: [UInt8] = Array("THTABLE5".utf8)
    private static let readable: [[UInt8]] = ["THTABLE2", "THTABLE3", "THTABLE4", "THTABLE5"].map { Array($0.utf8) }

    /// What a checkpoint of the table writes: its tasks, in update order, registrations and
    /// last sequence, and not the indexes rebuilt when it is read (the counts). A snapshot
    /// taken for the checkpoint thread shares only these, so the loop's changes while it
    /// encodes copy little: a shard of the tasks, or a block of the update order (most changes
    /// touch its last), on its first change.
    public struct Snapshot: Sendable {
        let tasks: PackedTasks
        let order: UpdateOrder
        let registrations: [String: Registration]
        public let lastSequence: UInt64

        /// The checkpoint form of the table.
        public func encoded() -> [UInt8] {
            var bytes: [UInt8] = []
            encode { piece in bytes.append(contentsOf: piece) }
            return bytes
        }

        /// The checkpoint form of the table, handed to `emit` a piece of about `pieceSize` bytes
        /// at a time from one buffer reused for every piece: the checkpoint thread writes each
        /// to the file as it comes, and never holds an image of the whole table (see
        /// `Checkpoint.Sink`).
        public func encode<E: Error>(
            pieceSize: Int = 1 << 20, _ emit: (ArraySlice<UInt8>) throws(E) -> Void
        ) throws(E) {
            var w = ByteWriter(capacity: pieceSize + 64 * 1024)
            func flush(over size: Int) throws(E) {
                guard w.bytes.count > size else { return }
                try emit(w.bytes[...])
                w.clear()
            }
            for b in TaskTable.magic { w.u8(b) }
            w.u64(lastSequence)
            w.u32(UInt32(tasks.count))
            func write(_ tasks: some Sequence<PackedTask>) throws(E) {
                for task in tasks {
                    task.write(into: &w)
                    try flush(over: pieceSize)
                }
            }
            // In update order, so that reading it back builds the order as it goes, with no
            // sort (`UpdateOrder.beginLoad`); in the shards' order should it ever be incomplete.
            if order.count == tasks.count {
                try write(order.walk(since: .min, after: nil))
            } else {
                try write(tasks.packed)
            }
            w.u32(UInt32(registrations.count))
            for registration in registrations.values.sorted(by: { $0.id < $1.id }) {
                w.string(registration.id)
                w.string(registration.provider)
                w.optionalString(registration.externalID)
                w.expectation(registration.expectation)
                try flush(over: pieceSize)
            }
            try flush(over: 0)
        }
    }

    public var snapshot: Snapshot {
        Snapshot(tasks: tasks, order: order, registrations: registrations, lastSequence: lastSequence)
    }

    /// The checkpoint form of the table.
    public func encoded() -> [UInt8] { snapshot.encoded() }

    public init(decoding bytes: [UInt8]) throws(DecodeError) {
        self = try ByteReader.read(bytes) { (r: inout ByteReader) throws(DecodeError) in try TaskTable(reading: &r) }
        endBulkLoad()
    }

    /// Decodes borrowed bytes (a mapped checkpoint's payload), leaving the table loading in bulk
    /// (`beginBulkLoad`) for a replay to go on.
    init(decoding bytes: UnsafeRawBufferPointer, inBulk: Bool) throws(DecodeError) {
        var r = ByteReader(bytes)
        self = try TaskTable(reading: &r)
        if !inBulk { endBulkLoad() }
    }

    init(reading r: inout ByteReader) throws(DecodeError) {
        var magic: [UInt8] = []
        for _ in Self.magic { magic.append(try r.u8()) }
        guard let version = Self.readable.firstIndex(of: magic).map({ $0 + 2 }) else {
            throw DecodeError(reason: "not a task table checkpoint", offset: 0)
        }
        lastSequence = try r.u64()
        let taskCount = try r.count()
        tasks.reserveCapacity(taskCount)
        beginBulkLoad()
        for _ in 0..<taskCount {
            store(version >= 5 ? try PackedTask(reading: &r) : PackedTask(try Self.unpackedTask(&r, version: version)))
        }
        if version >= 4 {
            for _ in 0..<(try r.count()) {
                let id = try r.string()
                let provider = try r.string()
                let externalID = try r.optionalString()
                let at = r.offset
                guard let expectation = try r.expectation() else {
                    throw DecodeError(reason: "a registration without its expectation", offset: at)
                }
                registrations[id] = Registration(
                    id: id, provider: provider, externalID: externalID, expectation: expectation)
            }
        }
        try r.expectEnd()
    }

    /// One task of a checkpoint before version 5, field by field.
    private static func unpackedTask(_ r: inout ByteReader, version: Int) throws(DecodeError) -> TrackedTask {
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
        var reports: [TrackedTask.Report] = []
        for _ in 0..<deliveryCount {
            let sequence = try r.u64()
            let deliveryStatus = try Self.status(&r)
            let time = try r.i64()
            let applied = try r.u8() == 1
            let deliveryID = try r.optionalString()
            reports.append(
                TrackedTask.Report(
                    sequence: sequence, status: deliveryStatus, time: time, applied: applied,
                    deliveryID: deliveryID, source: version >= 4 ? try Self.source(&r) : .callback))
        }
        return TrackedTask(
            id: id, provider: provider, status: status, results: results, error: error,
            firstSeen: firstSeen, updated: updated, reports: reports,
            externalID: version >= 3 ? try r.optionalString() : nil,
            expectation: version >= 4 ? try r.expectation() : nil)
    }

    private static func source(_ r: inout ByteReader) throws(DecodeError) -> TrackedTask.Report.Source {
        let at = r.offset
        guard let source = TrackedTask.Report.Source(rawValue: try r.u8()) else {
            throw DecodeError(reason: "unknown report source", offset: at)
        }
        return source
    }

    private static func status(_ r: inout ByteReader) throws(DecodeError) -> TaskStatus {
        let at = r.offset
        guard let status = TaskStatus(rawValue: try r.string()) else {
            throw DecodeError(reason: "unknown task status", offset: at)
        }
        return status
    }
}

extension ByteWriter {
    mutating func expectation(_ expectation: Expectation?) {
        guard let expectation else {
            u8(0)
            return
        }
        u8(1)
        optionalString(expectation.endpoint)
        optionalString(expectation.statusURL)
        optionalString(expectation.resultURL)
        i64(expectation.deadline)
        u32(UInt32(expectation.labels.count))
        for label in expectation.labels {
            string(label.name)
            string(label.value)
        }
        optionalString(expectation.registration)
        i64(expectation.registered)
    }
}

extension ByteReader {
    mutating func expectation() throws(DecodeError) -> Expectation? {
        let at = offset
        switch try u8() {
        case 0: return nil
        case 1: break
        default: throw DecodeError(reason: "bad expectation marker", offset: at)
        }
        let endpoint = try optionalString()
        let statusURL = try optionalString()
        let resultURL = try optionalString()
        let deadline = try i64()
        var labels: [Expectation.Label] = []
        for _ in 0..<(try count()) { labels.append(Expectation.Label(name: try string(), value: try string())) }
        return Expectation(
            endpoint: endpoint, statusURL: statusURL, resultURL: resultURL, deadline: deadline, labels: labels,
            registration: try optionalString(), registered: try i64())
    }
}
