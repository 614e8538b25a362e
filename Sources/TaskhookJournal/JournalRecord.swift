/// What a record holds. The journal stores bodies as opaque bytes; the kind tells readers how
/// to decode them.
public enum RecordKind: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    /// An authenticated callback that was understood (a `Delivery` with events).
    case delivery = 1
    /// An authenticated callback whose body could not be understood: kept, never thrown away.
    case unparsed = 2
    /// A job registered a task it started (or is about to start), and what it expects of it.
    case expect = 3
    /// A checkpoint covering every record up to the sequence in its body was written.
    case checkpoint = 4
    /// Task retention: the tasks last heard of before the time in its body were forgotten. A
    /// record, so a table rebuilt from the journal forgets exactly what the running one did.
    case forget = 5
    /// What a status read of a task found (`taskhook reconcile`), applied like a callback.
    case observation = 6
    /// An expected task (or registration) reached its deadline with no terminal news.
    case deadline = 7

    public var description: String {
        switch self {
        case .delivery: "delivery"
        case .unparsed: "unparsed"
        case .expect: "expect"
        case .checkpoint: "checkpoint"
        case .forget: "forget"
        case .observation: "observation"
        case .deadline: "deadline"
        }
    }
}

public struct JournalRecord: Sendable, Equatable {
    /// Assigned by the writer: 1, 2, 3, … with no gaps.
    public var sequence: UInt64
    /// Wall-clock milliseconds since the epoch when it was appended.
    public var time: Int64
    public var kind: RecordKind
    public var body: [UInt8]

    public init(sequence: UInt64, time: Int64, kind: RecordKind, body: [UInt8]) {
        self.sequence = sequence
        self.time = time
        self.kind = kind
        self.body = body
    }
}

/// A record read in place: its body is borrowed from the segment being read and is valid only
/// during the visit that received it. Replay reads these, so a long journal is not copied.
public struct RecordView {
    public let sequence: UInt64
    public let time: Int64
    public let kind: RecordKind
    public let body: UnsafeRawBufferPointer

    public init(sequence: UInt64, time: Int64, kind: RecordKind, body: UnsafeRawBufferPointer) {
        self.sequence = sequence
        self.time = time
        self.kind = kind
        self.body = body
    }

    /// An owned copy.
    public var record: JournalRecord { JournalRecord(sequence: sequence, time: time, kind: kind, body: Array(body)) }
}
