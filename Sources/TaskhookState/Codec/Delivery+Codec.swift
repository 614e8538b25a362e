import TaskhookCore

/// The journal body of a delivery (or unparsed) record.
///
/// Version 2 (tasks keyed by provider and id, issue 11): after the version byte, an optional
/// re-read marker (the sequence and time of the unparsed record it applies), and after each
/// event its optional external id. Version 1 bodies (written before) are still read: no marker,
/// no external ids. Only version 2 is written.
extension Delivery {
    private static let version: UInt8 = 2

    /// The journal body of this delivery.
    public func encoded() -> [UInt8] {
        // The body and headers, plus room for the rest (events repeat a few short strings).
        var w = ByteWriter(capacity: body.count + headers.count * 64 + 512)
        encode(into: &w)
        return w.bytes
    }

    /// Appends the journal body of this delivery to `w` (see `ByteWriter.takeBytes`).
    public func encode(into w: inout ByteWriter) {
        w.u8(Self.version)
        w.reread(rereads)
        w.string(route)
        w.string(provider)
        w.string(remoteAddress)
        w.optionalString(deliveryID)
        w.u32(UInt32(headers.count))
        for header in headers {
            w.string(header.name)
            w.string(header.value)
        }
        w.bytes(body)
        w.u32(UInt32(events.count))
        for event in events { w.event(event) }
        w.optionalString(note)
    }

    public init(decoding bytes: [UInt8]) throws(DecodeError) {
        self = try ByteReader.read(bytes) { (r: inout ByteReader) throws(DecodeError) in try Delivery(reading: &r) }
    }

    public init(reading r: inout ByteReader) throws(DecodeError) {
        let version = try Self.readVersion(&r)
        let rereads = version >= 2 ? try r.reread() : nil
        let route = try r.string()
        let provider = try r.string()
        let remoteAddress = try r.string()
        let deliveryID = try r.optionalString()
        let headerCount = try r.count()
        var headers: [Header] = []
        for _ in 0..<headerCount { headers.append(Header(name: try r.string(), value: try r.string())) }
        let body = try r.bytes()
        let eventCount = try r.count()
        var events: [TaskEvent] = []
        for _ in 0..<eventCount { events.append(try r.event(version: version)) }
        let note = try r.optionalString()
        try r.expectEnd()
        self.init(
            route: route, provider: provider, remoteAddress: remoteAddress, deliveryID: deliveryID, headers: headers,
            body: body, events: events, note: note, rereads: rereads)
    }

    /// Only what the task table needs: the delivery id, the events and the re-read marker.
    /// Headers and body are stepped over, not copied, which is what makes replaying a long
    /// journal fast.
    public static func events(reading r: inout ByteReader) throws(DecodeError) -> (
        deliveryID: String?, events: [TaskEvent], rereads: Reread?
    ) {
        let version = try readVersion(&r)
        let rereads = version >= 2 ? try r.reread() : nil
        for _ in 0..<3 { try r.skipLengthPrefixed() }  // route, provider, remote address
        let deliveryID = try r.optionalString()
        let headerCount = try r.count()
        for _ in 0..<(2 * headerCount) { try r.skipLengthPrefixed() }
        try r.skipLengthPrefixed()  // body
        let eventCount = try r.count()
        var events: [TaskEvent] = []
        events.reserveCapacity(eventCount)
        for _ in 0..<eventCount { events.append(try r.event(version: version)) }
        return (deliveryID, events, rereads)
    }

    /// Only the re-read marker: what start-up needs of records the checkpoint already covers.
    public static func rereadMarker(reading r: inout ByteReader) throws(DecodeError) -> Reread? {
        try readVersion(&r) >= 2 ? try r.reread() : nil
    }

    private static func readVersion(_ r: inout ByteReader) throws(DecodeError) -> UInt8 {
        let version = try r.u8()
        guard version == 1 || version == Self.version else {
            throw DecodeError(reason: "unknown delivery format version \(version)", offset: 0)
        }
        return version
    }
}

extension ByteWriter {
    mutating func event(_ event: TaskEvent) {
        string(event.taskID)
        string(event.provider)
        string(event.status.rawValue)
        u32(UInt32(event.results.count))
        for url in event.results { string(url) }
        optionalString(event.error)
        optionalString(event.externalID)
    }

    mutating func reread(_ reread: Delivery.Reread?) {
        guard let reread else {
            u8(0)
            return
        }
        u8(1)
        u64(reread.sequence)
        i64(reread.time)
    }
}

extension ByteReader {
    mutating func event(version: UInt8) throws(DecodeError) -> TaskEvent {
        let taskID = try string()
        let provider = try string()
        let statusOffset = offset
        guard let status = TaskStatus(rawValue: try string()) else {
            throw DecodeError(reason: "unknown task status", offset: statusOffset)
        }
        let resultCount = try count()
        var results: [String] = []
        for _ in 0..<resultCount { results.append(try string()) }
        let error = try optionalString()
        return TaskEvent(
            taskID: taskID, provider: provider, status: status, results: results, error: error,
            externalID: version >= 2 ? try optionalString() : nil)
    }

    mutating func reread() throws(DecodeError) -> Delivery.Reread? {
        let at = offset
        switch try u8() {
        case 0: return nil
        case 1: return Delivery.Reread(sequence: try u64(), time: try i64())
        default: throw DecodeError(reason: "bad re-read marker", offset: at)
        }
    }
}
