import TaskhookCore

/// One task as the table keeps it: every field in one byte buffer, a single allocation, where a
/// `TrackedTask` takes six or more (its id, its reports, each report's delivery id, its
/// results…) and a dictionary slot about four times its size. A million tasks fit in about a
/// quarter of the memory they took as dictionary values (see bench/ingest.sh, "table").
///
/// Layout (little-endian):
///
///     0  u8   status (TaskStatus.code)        8  i64  updated
///     1  u8   flags (bit 0: expected)         16 i64  last heard (the latest report's time)
///     2  u16  provider's UTF-8 length         24 u64  the latest report's sequence
///     4  u32  id's UTF-8 length               32 i64  the key's hash (this process's seed)
///                                             40 …    provider bytes, id bytes, then the
///                                                     rest in `ByteWriter`'s encoding
///
/// The header holds what a retention sweep and a page filter read, so they read it in place,
/// and the key's hash, so that finding a task's shard, its set bucket and its place in the
/// update order hashes its key once, not once each. The hash is seeded per process, like
/// `Hasher`: it never leaves memory.
/// A packed task is equal to, and hashes like, any other with the same key: a set of them is
/// the table, looked up with a `probe` that holds a key only. Ids and provider identities are
/// compared as bytes.
public struct PackedTask: Hashable, Sendable {
    private(set) var bytes: [UInt8]

    static let headerSize = 40
    static let hashOffset = 32

    /// `task`, packed.
    init(_ task: TrackedTask) {
        let size = Self.size(task)
        var w = ByteWriter(capacity: size)
        Self.writeHeader(
            &w, provider: task.provider, id: task.id, status: task.status, expected: task.expectation != nil,
            updated: task.updated, lastHeard: task.lastHeard, lastSequence: task.reports.last?.sequence ?? 0)
        w.i64(task.firstSeen)
        w.u32(UInt32(task.results.count))
        for url in task.results { w.string(url) }
        w.optionalString(task.error)
        w.optionalString(task.externalID)
        w.u32(UInt32(task.reports.count))
        for report in task.reports {
            w.u64(report.sequence)
            w.u8(report.status.code)
            w.i64(report.time)
            w.u8((report.applied ? 1 : 0) | report.source.rawValue << 1)
            w.optionalString(report.deliveryID)
        }
        w.expectation(task.expectation)
        bytes = w.bytes.capacity - w.bytes.count < 32 ? w.bytes : Self.trimmed(w.bytes)
    }

    /// What `init(_:)` writes, to the byte without an expectation (most tasks), so that it
    /// allocates its buffer once; an expectation's labels are counted roughly and the buffer
    /// trimmed after.
    static func size(_ task: TrackedTask) -> Int {
        func optional(_ text: String?) -> Int { 1 + (text.map { 4 + $0.utf8.count } ?? 0) }
        var size = headerSize + task.provider.utf8.count + task.id.utf8.count + 8 + 4 + 1 + 1 + 4
        for url in task.results { size += 4 + url.utf8.count }
        size += optional(task.error) - 1 + optional(task.externalID) - 1
        for report in task.reports { size += 18 + optional(report.deliveryID) }
        if let expectation = task.expectation {
            size += 128 + (expectation.statusURL?.utf8.count ?? 0) + (expectation.resultURL?.utf8.count ?? 0)
        }
        return size + 1
    }

    /// Bytes written as `init(_:)` writes them (`init(newTaskIn:)`).
    init(written: [UInt8]) { bytes = written }

    /// Bytes checked to be a packed task (`init(reading:)`), with their key's hash filled in.
    init(checked: [UInt8]) {
        bytes = checked
        let hash = bytes.withUnsafeBytes { raw in
            Self.keyHash(providerCount: providerCount, key: UnsafeRawBufferPointer(rebasing: raw[keyRange]))
        }
        withUnsafeBytes(of: Int64(hash).littleEndian) {
            bytes.replaceSubrange(Self.hashOffset..<Self.hashOffset + 8, with: $0)
        }
    }

    /// `bytes` in a buffer of their own size: a writer's buffer has room to spare, which would
    /// stay with every task (`Array(bytes[...])` hands back the same buffer, room and all).
    private static func trimmed(_ bytes: [UInt8]) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: bytes.count) { buffer, count in
            count = bytes.withUnsafeBufferPointer { buffer.initialize(fromContentsOf: $0) }
        }
    }

    /// A key alone, to look a task up by.
    init(probe key: TaskKey) {
        var w = ByteWriter(capacity: Self.headerSize + key.provider.utf8.count + key.id.utf8.count)
        Self.writeHeader(
            &w, provider: key.provider, id: key.id, status: .created, expected: false, updated: 0, lastHeard: 0,
            lastSequence: 0)
        bytes = w.bytes
    }

    private static func writeHeader(
        _ w: inout ByteWriter, provider: String, id: String, status: TaskStatus, expected: Bool, updated: Int64,
        lastHeard: Int64, lastSequence: UInt64
    ) {
        var provider = provider
        var id = id
        provider.withUTF8 { provider in
            id.withUTF8 { id in
                writeHeader(
                    &w, provider: UnsafeRawBufferPointer(provider), id: UnsafeRawBufferPointer(id), status: status,
                    expected: expected, updated: updated, lastHeard: lastHeard, lastSequence: lastSequence)
            }
        }
    }

    /// The header, then the key: `provider` and `id` are their UTF-8 bytes.
    static func writeHeader(
        _ w: inout ByteWriter, provider: UnsafeRawBufferPointer, id: UnsafeRawBufferPointer, status: TaskStatus,
        expected: Bool, updated: Int64, lastHeard: Int64, lastSequence: UInt64
    ) {
        // Provider identities are route names from the configuration, never near 64 KiB.
        precondition(provider.count <= UInt16.max, "a provider identity of \(provider.count) bytes")
        let hash = Self.keyHash(provider: provider, id: id)
        // The fixed fields at their offsets in one block, appended at once: a probe is made for
        // every lookup, and writing them a byte at a time cost it about a thousand instructions.
        withUnsafeTemporaryAllocation(byteCount: headerSize, alignment: 8) { header in
            header.storeBytes(of: status.code, toByteOffset: 0, as: UInt8.self)
            header.storeBytes(of: expected ? 1 : 0, toByteOffset: 1, as: UInt8.self)
            header.storeBytes(of: UInt16(provider.count).littleEndian, toByteOffset: 2, as: UInt16.self)
            header.storeBytes(of: UInt32(id.count).littleEndian, toByteOffset: 4, as: UInt32.self)
            header.storeBytes(of: updated.littleEndian, toByteOffset: 8, as: Int64.self)
            header.storeBytes(of: lastHeard.littleEndian, toByteOffset: 16, as: Int64.self)
            header.storeBytes(of: lastSequence.littleEndian, toByteOffset: 24, as: UInt64.self)
            header.storeBytes(of: Int64(hash).littleEndian, toByteOffset: hashOffset, as: Int64.self)
            w.raw(UnsafeRawBufferPointer(header))
        }
        w.raw(provider)
        w.raw(id)
    }

    /// The hash of a key, as a packed task with that key keeps it.
    static func keyHash(_ key: TaskKey) -> Int {
        var provider = key.provider
        var id = key.id
        return provider.withUTF8 { provider in
            id.withUTF8 { id in keyHash(provider: UnsafeRawBufferPointer(provider), id: UnsafeRawBufferPointer(id)) }
        }
    }

    private static func keyHash(provider: UnsafeRawBufferPointer, id: UnsafeRawBufferPointer) -> Int {
        var hasher = Hasher()
        hasher.combine(UInt16(provider.count))
        hasher.combine(bytes: provider)
        hasher.combine(bytes: id)
        return hasher.finalize()
    }

    /// The same hash from a packed key (provider bytes, then id bytes): `Hasher` hashes the
    /// bytes it is given as one stream, however they are split.
    static func keyHash(providerCount: Int, key: UnsafeRawBufferPointer) -> Int {
        var hasher = Hasher()
        hasher.combine(UInt16(providerCount))
        hasher.combine(bytes: key)
        return hasher.finalize()
    }

    private func load<T: FixedWidthInteger>(_ offset: Int, as: T.Type) -> T {
        bytes.withUnsafeBytes { T(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: T.self)) }
    }

    public var status: TaskStatus { TaskStatus(code: bytes[0]) }
    public var isExpected: Bool { bytes[1] & 1 != 0 }
    /// Like `TrackedTask.isAwaited`: expected and not ended.
    public var isAwaited: Bool { isExpected && !status.isTerminal }
    public var updated: Int64 { load(8, as: Int64.self) }
    public var lastHeard: Int64 { load(16, as: Int64.self) }
    public var lastSequence: UInt64 { load(24, as: UInt64.self) }
    var keyHash: Int { Int(load(Self.hashOffset, as: Int64.self)) }
    var providerCount: Int { Int(load(2, as: UInt16.self)) }
    private var idCount: Int { Int(load(4, as: UInt32.self)) }
    var keyRange: Range<Int> { Self.headerSize..<Self.headerSize + providerCount + idCount }

    public var provider: String {
        String(decoding: bytes[Self.headerSize..<Self.headerSize + providerCount], as: UTF8.self)
    }

    /// Whether its provider's bytes are `utf8`.
    func hasProvider(_ utf8: [UInt8]) -> Bool {
        providerCount == utf8.count && bytes[Self.headerSize..<Self.headerSize + utf8.count].elementsEqual(utf8)
    }

    public var key: TaskKey {
        let idStart = Self.headerSize + providerCount
        return TaskKey(provider: provider, id: String(decoding: bytes[idStart..<keyRange.upperBound], as: UTF8.self))
    }

    /// The order `/v1/tasks` pages in after the update time: id, then provider, as bytes.
    static func keyPrecedes(_ a: PackedTask, _ b: PackedTask) -> Bool {
        let (ap, bp) = (a.providerCount, b.providerCount)
        return a.bytes.withUnsafeBufferPointer { ab in
            b.bytes.withUnsafeBufferPointer { bb in
                let byID = order(
                    ab, from: headerSize + ap, count: a.idCount, bb, from: headerSize + bp, count: b.idCount)
                return byID != 0
                    ? byID < 0 : order(ab, from: headerSize, count: ap, bb, from: headerSize, count: bp) < 0
            }
        }
    }

    /// Where `appendKey(to:)` put a task's key in a buffer of keys.
    struct KeyPlace {
        var start: Int
        var providerCount: Int
        var idCount: Int
    }

    /// Appends its key's bytes (provider, then id, as stored) to `keys`: a sort of many tasks by
    /// key then compares bytes side by side in one buffer, and retains no task.
    func appendKey(to keys: inout [UInt8]) -> KeyPlace {
        let place = KeyPlace(start: keys.count, providerCount: providerCount, idCount: idCount)
        keys.append(contentsOf: bytes[keyRange])
        return place
    }

    /// `keyPrecedes` for two keys `appendKey(to:)` put in `keys`.
    static func keyPrecedes(_ a: KeyPlace, _ b: KeyPlace, in keys: UnsafeBufferPointer<UInt8>) -> Bool {
        let (aID, bID) = (a.start + a.providerCount, b.start + b.providerCount)
        let byID = order(keys, from: aID, count: a.idCount, keys, from: bID, count: b.idCount)
        return byID != 0
            ? byID < 0
            : order(keys, from: a.start, count: a.providerCount, keys, from: b.start, count: b.providerCount) < 0
    }

    /// How two byte strings inside two tasks' buffers compare: negative, zero or positive.
    /// Read through buffer pointers, not slices and generic algorithms: sorting a million entries
    /// compares keys millions of times. The ranges are a key's, inside the buffers (the header's
    /// lengths, checked when the task was packed or read).
    private static func order(
        _ a: UnsafeBufferPointer<UInt8>, from aStart: Int, count aCount: Int,
        _ b: UnsafeBufferPointer<UInt8>, from bStart: Int, count bCount: Int
    ) -> Int {
        let common = min(aCount, bCount)
        var offset = 0
        // Eight bytes at a time while they are equal: ids of one provider often share a long
        // prefix (a time, a counter's leading digits), and ties in a replay's rebuild of the
        // update order are sorted by them (a tenth of the rebuild, a byte at a time).
        let (aRaw, bRaw) = (UnsafeRawBufferPointer(a), UnsafeRawBufferPointer(b))
        while offset + 8 <= common,
            aRaw.loadUnaligned(fromByteOffset: aStart + offset, as: UInt64.self)
                == bRaw.loadUnaligned(fromByteOffset: bStart + offset, as: UInt64.self)
        {
            offset += 8
        }
        for offset in offset..<common {
            let (x, y) = (a[aStart + offset], b[bStart + offset])
            if x != y { return Int(x) - Int(y) }
        }
        return aCount - bCount
    }

    /// Whether its id comes after `id` in that order.
    func idFollows(_ id: String) -> Bool {
        let start = Self.headerSize + providerCount
        return id.utf8.lexicographicallyPrecedes(bytes[start..<keyRange.upperBound])
    }

    public static func == (a: PackedTask, b: PackedTask) -> Bool {
        guard a.keyHash == b.keyHash, a.providerCount == b.providerCount else { return false }
        let (aKey, bKey) = (a.keyRange, b.keyRange)
        return a.bytes.withUnsafeBufferPointer { ab in
            b.bytes.withUnsafeBufferPointer { bb in
                order(ab, from: aKey.lowerBound, count: aKey.count, bb, from: bKey.lowerBound, count: bKey.count) == 0
            }
        }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(keyHash)
    }

    /// The applied reports among its history whose sequences lie in `range`, with their places
    /// in it, read in place: an event stream's backlog looks at every task of the table in each
    /// pass, and unpacking each one (its strings and arrays) cost more than the rest of the pass.
    /// Reports are kept in sequence order, so the header's latest sequence rules out a task
    /// whose reports all come before the range without reading further.
    func forEachAppliedReport(in range: ClosedRange<UInt64>, _ body: (_ sequence: UInt64, _ index: Int) -> Void) {
        guard lastSequence >= range.lowerBound else { return }
        bytes.withUnsafeBytes { raw in
            var r = ByteReader(raw)
            do {
                try r.skip(Self.headerSize + providerCount + idCount + 8)  // the key, first seen
                for _ in 0..<(try r.count()) { try r.skipLengthPrefixed() }  // results
                try r.skipOptional()  // error
                try r.skipOptional()  // external id
                for index in 0..<(try r.count()) {
                    let sequence = try r.u64()
                    try r.skip(9)  // status, time
                    let applied = try r.u8() & 1 != 0
                    try r.skipOptional()  // delivery id
                    if applied, range.contains(sequence) { body(sequence, index) }
                }
            } catch {
                preconditionFailure("a packed task does not decode: \(error)")
            }
        }
    }

    /// The whole task.
    public var task: TrackedTask {
        bytes.withUnsafeBytes { raw in
            var r = ByteReader(raw)
            do {
                try r.skip(Self.headerSize + providerCount + idCount)
                let key = self.key
                let firstSeen = try r.i64()
                var results: [String] = []
                for _ in 0..<(try r.count()) { results.append(try r.string()) }
                let error = try r.optionalString()
                let externalID = try r.optionalString()
                var reports: [TrackedTask.Report] = []
                let reportCount = try r.count()
                reports.reserveCapacity(reportCount)
                for _ in 0..<reportCount {
                    let sequence = try r.u64()
                    let status = TaskStatus(code: try r.u8())
                    let time = try r.i64()
                    let flags = try r.u8()
                    reports.append(
                        TrackedTask.Report(
                            sequence: sequence, status: status, time: time, applied: flags & 1 != 0,
                            deliveryID: try r.optionalString(), source: .init(rawValue: flags >> 1) ?? .callback))
                }
                return TrackedTask(
                    id: key.id, provider: key.provider, status: status, results: results, error: error,
                    firstSeen: firstSeen, updated: updated, reports: reports, externalID: externalID,
                    expectation: try r.expectation())
            } catch {
                // Only `init(_:)` writes these bytes, and it writes what this reads.
                preconditionFailure("a packed task does not decode: \(error)")
            }
        }
    }
}

extension TaskStatus {
    /// Its place in `allCases`: one byte in a packed task.
    var code: UInt8 {
        switch self {
        case .created: 0
        case .inProgress: 1
        case .completed: 2
        case .failed: 3
        case .canceled: 4
        }
    }

    init(code: UInt8) {
        self = Self.allCases[Int(code)]
    }
}
