import TaskhookCore
import TaskhookJournal
import TaskhookState
import TestSupport
import Testing

/// The delivery body as the journal format version 1 wrote it (main before issue 11): version
/// byte 1, route, provider, remote address, delivery id, headers, body, events (without external
/// ids), note. Built by hand here, byte for byte, so that the old format stays readable whatever
/// the current encoder becomes.
func versionOneDeliveryBody(
    route: String, provider: String, deliveryID: String?, body: String, events: [TaskEvent], note: String? = nil
) -> [UInt8] {
    var w = ByteWriter()
    w.u8(1)
    w.string(route)
    w.string(provider)
    w.string("127.0.0.1:5000")
    w.optionalString(deliveryID)
    w.u32(1)
    w.string("webhook-id")
    w.string(deliveryID ?? "")
    w.bytes(Array(body.utf8))
    w.u32(UInt32(events.count))
    for event in events {
        w.string(event.taskID)
        w.string(event.provider)
        w.string(event.status.rawValue)
        w.u32(UInt32(event.results.count))
        for url in event.results { w.string(url) }
        w.optionalString(event.error)
    }
    w.optionalString(note)
    return w.bytes
}

@Suite struct JournalFormatTests {
    func write(_ records: [(RecordKind, Int64, [UInt8])], to path: String) throws {
        let directory = JournalDirectory(path: path)
        let writer = try GroupCommitWriter(
            directory: directory, recovery: try directory.recover(), options: JournalOptions())
        for (kind, time, body) in records { _ = writer.append(kind: kind, time: time, body: body) }
        writer.close()
    }

    @Test func aJournalWrittenByTheVersionOneEncoderReplaysIntoKeyedTasks() throws {
        let path = DaemonProcess.temporaryDirectory()
        try write(
            [
                (
                    .delivery, 1_000,
                    versionOneDeliveryBody(
                        route: "/hooks/fal", provider: "fal", deliveryID: nil, body: "{}",
                        events: [
                            TaskEvent(taskID: "42", provider: "fal", status: .completed, results: ["https://f/v.mp4"])
                        ])
                ),
                (
                    .delivery, 2_000,
                    versionOneDeliveryBody(
                        route: "/hooks/freepik", provider: "freepik", deliveryID: "msg_1", body: "{}",
                        events: [TaskEvent(taskID: "42", provider: "freepik", status: .inProgress)])
                ),
                (
                    .unparsed, 3_000,
                    versionOneDeliveryBody(
                        route: "/hooks/freepik", provider: "freepik", deliveryID: "msg_2",
                        body: #"{"task_id":"9","status":"QUEUED"}"#, events: [], note: "unknown status QUEUED")
                ),
            ], to: path)

        let replay = try JournalReplay.open(JournalDirectory(path: path))
        #expect(replay.replayed == 3)
        #expect(replay.table.count == 2)
        #expect(replay.table[TaskKey(provider: "fal", id: "42")]?.results == ["https://f/v.mp4"])
        #expect(replay.table[TaskKey(provider: "freepik", id: "42")]?.reports.first?.deliveryID == "msg_1")
        #expect(replay.unparsed.map(\.sequence) == [3])
        #expect(replay.unparsed.first?.time == 3_000)
        #expect(replay.unparsed.first?.reason == "unknown status QUEUED")
        #expect(replay.unparsed.first?.delivery.body == Array(#"{"task_id":"9","status":"QUEUED"}"#.utf8))
    }

    @Test func aRereadRecordAppliesItsEventsAsTheUnparsedRecordAndEndsItsWait() throws {
        let path = DaemonProcess.temporaryDirectory()
        let unparsed = Delivery(
            route: "/hooks/x", provider: "x", remoteAddress: "peer", deliveryID: "msg_9", headers: [],
            body: Array("{}".utf8), events: [], note: "unknown status")
        var reread = unparsed
        reread.events = [TaskEvent(taskID: "9", provider: "x", status: .completed, externalID: "mine")]
        reread.note = nil
        reread.rereads = Delivery.Reread(sequence: 1, time: 5_000)
        try write([(.unparsed, 5_000, unparsed.encoded()), (.delivery, 9_000, reread.encoded())], to: path)

        let replay = try JournalReplay.open(JournalDirectory(path: path))
        #expect(replay.unparsed.isEmpty)
        let task = try #require(replay.table[TaskKey(provider: "x", id: "9")])
        #expect(task.reports.map(\.sequence) == [1])
        #expect(task.firstSeen == 5_000)
        #expect(task.externalID == "mine")
        #expect(replay.table.lastSequence == 2)
        #expect(try Delivery(decoding: reread.encoded()) == reread)
    }

    @Test func anUnknownDeliveryVersionIsRefusedWithItsNumber() {
        var body = Delivery(
            route: "/h", provider: "p", remoteAddress: "r", deliveryID: nil, headers: [], body: [], events: []
        ).encoded()
        body[0] = 9
        #expect(throws: DecodeError(reason: "unknown delivery format version 9", offset: 0)) {
            try Delivery(decoding: body)
        }
    }
}
