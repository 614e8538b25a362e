import TaskhookCore
import TaskhookJournal

extension PackedTask {
    /// The task that the one event of a delivery or observation record starts when its key is
    /// new (what `TaskTable.apply` stores for it), packed straight from the record's body: no
    /// `TaskEvent`, strings or arrays on the way, one allocation. Replay makes one for nearly
    /// every record, on the thread that decodes (`ReplayDecoder`), so that the thread applying
    /// them stores most as they are (`TaskTable.apply(newTask:)`).
    ///
    /// nil for a record it does not cover, which replay decodes the general way
    /// (`JournalReplay.apply`): a format 1 body, a delivery of other than one event, a string
    /// that is not ASCII (the general way repairs invalid UTF-8, which a copy would not), or a
    /// body that does not decode (the general way says why).
    init?(newTaskIn record: RecordView) {
        guard record.kind == .delivery || record.kind == .observation,
            let bytes = try? Self.newTaskBytes(record)
        else { return nil }
        self.init(written: bytes)
    }

    /// The bytes `init(newTaskIn:)` packs; nil when it does not cover the record.
    private static func newTaskBytes(_ record: RecordView) throws(DecodeError) -> [UInt8]? {
        // The body as `Delivery.encoded()` writes it (version 2), read as `Delivery.events`
        // reads it.
        var r = ByteReader(record.body)
        guard try r.u8() == 2 else { return nil }
        let reread = try r.reread()
        for _ in 0..<3 { try r.skipLengthPrefixed() }  // route, provider, remote address
        let deliveryID = try r.optionalLengthPrefixed()
        for _ in 0..<(2 * (try r.count())) { try r.skipLengthPrefixed() }  // headers
        try r.skipLengthPrefixed()  // body
        guard try r.count() == 1 else { return nil }
        let id = try r.lengthPrefixed()
        let provider = try r.lengthPrefixed()
        guard let status = TaskStatus(utf8: try r.lengthPrefixed()), isASCII(id), isASCII(provider),
            deliveryID.map(isASCII) ?? true
        else { return nil }
        // Results, error and external id are laid out in a packed task as in the event: copied
        // as one block once read through.
        let tailStart = r.offset
        for _ in 0..<(try r.count()) { guard isASCII(try r.lengthPrefixed()) else { return nil } }
        for _ in 0..<2 { guard (try r.optionalLengthPrefixed()).map(isASCII) ?? true else { return nil } }
        let tail = r.bytes(since: tailStart)

        // An empty delivery id is none (`TaskTable.apply`); a re-read record's event counts
        // as of the unparsed record it stands for.
        let delivery = deliveryID?.isEmpty == false ? deliveryID : nil
        let sequence = reread?.sequence ?? record.sequence
        let time = reread?.time ?? record.time
        let source: TrackedTask.Report.Source = record.kind == .observation ? .observation : .callback
        // What `init(_:)` writes for such a task, field by field (see the layout there).
        let report = 18 + 1 + (delivery.map { 4 + $0.count } ?? 0)
        let size = headerSize + provider.count + id.count + 8 + tail.count + 4 + report + 1
        var w = ByteWriter(capacity: size)
        writeHeader(
            &w, provider: provider, id: id, status: status, expected: false, updated: time, lastHeard: time,
            lastSequence: sequence)
        w.i64(time)  // first seen
        w.raw(tail)
        w.u32(1)  // one report
        w.u64(sequence)
        w.u8(status.code)
        w.i64(time)
        w.u8(1 | source.rawValue << 1)  // applied
        if let delivery {
            w.u8(1)
            w.u32(UInt32(delivery.count))
            w.raw(delivery)
        } else {
            w.u8(0)
        }
        w.u8(0)  // no expectation
        return w.bytes
    }

    private static func isASCII(_ bytes: UnsafeRawBufferPointer) -> Bool { bytes.allSatisfy { $0 < 0x80 } }
}

extension TaskStatus {
    /// The status whose raw value these UTF-8 bytes spell.
    init?(utf8 bytes: UnsafeRawBufferPointer) {
        guard let index = Self.rawValuesUTF8.firstIndex(where: { $0.elementsEqual(bytes) }) else { return nil }
        self = Self.allCases[index]
    }

    /// The raw values as bytes: compared through `String.UTF8View`, a million records spent
    /// more on their statuses than on their checksums.
    private static let rawValuesUTF8 = allCases.map { Array($0.rawValue.utf8) }
}
