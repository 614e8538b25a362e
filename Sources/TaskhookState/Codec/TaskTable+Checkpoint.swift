import TaskhookCore

extension TaskTable {
    /// Version 3 adds each task's external id; version 2 (written before tasks were keyed by
    /// provider and id) is still read, its tasks having none.
    private static let magic: [UInt8] = Array("THTABLE3".utf8)
    private static let previousMagic: [UInt8] = Array("THTABLE2".utf8)

    /// The checkpoint form of the table.
    public func encoded() -> [UInt8] {
        // About 200 bytes a task: an id, a result URL and a delivery or two.
        var w = ByteWriter(capacity: 64 + tasks.count * 200)
        for b in Self.magic { w.u8(b) }
        w.u64(lastSequence)
        w.u32(UInt32(tasks.count))
        // In the dictionary's own order: sorting a million ids would cost more than the rest.
        for task in tasks.values {
            w.string(task.id)
            w.string(task.provider)
            w.string(task.status.rawValue)
            w.u32(UInt32(task.results.count))
            for url in task.results { w.string(url) }
            w.optionalString(task.error)
            w.i64(task.firstSeen)
            w.i64(task.updated)
            w.u32(UInt32(task.reports.count))
            for d in task.reports {
                w.u64(d.sequence)
                w.string(d.status.rawValue)
                w.i64(d.time)
                w.u8(d.applied ? 1 : 0)
                w.optionalString(d.deliveryID)
            }
            w.optionalString(task.externalID)
        }
        return w.bytes
    }

    public init(decoding bytes: [UInt8]) throws(DecodeError) {
        self = try ByteReader.read(bytes) { (r: inout ByteReader) throws(DecodeError) in try TaskTable(reading: &r) }
    }

    init(reading r: inout ByteReader) throws(DecodeError) {
        var magic: [UInt8] = []
        for _ in Self.magic { magic.append(try r.u8()) }
        guard magic == Self.magic || magic == Self.previousMagic else {
            throw DecodeError(reason: "not a task table checkpoint", offset: 0)
        }
        let hasExternalIDs = magic == Self.magic
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
            var reports: [TrackedTask.Report] = []
            for _ in 0..<deliveryCount {
                let sequence = try r.u64()
                let deliveryStatus = try Self.status(&r)
                let time = try r.i64()
                reports.append(
                    TrackedTask.Report(
                        sequence: sequence, status: deliveryStatus, time: time, applied: try r.u8() == 1,
                        deliveryID: try r.optionalString()))
            }
            insert(
                TrackedTask(
                    id: id, provider: provider, status: status, results: results, error: error,
                    firstSeen: firstSeen, updated: updated, reports: reports,
                    externalID: hasExternalIDs ? try r.optionalString() : nil))
        }
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
