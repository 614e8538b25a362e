import TaskhookCore
import TaskhookJournal

/// An authentic callback journaled as `unparsed`: what is needed to read it again with newer
/// profiles (its route, headers and raw body) and to apply it as it arrived (its sequence and
/// time).
public struct UnparsedCallback: Sendable, Equatable {
    public var sequence: UInt64
    /// Unix milliseconds.
    public var time: Int64
    public var delivery: Delivery

    public init(sequence: UInt64, time: Int64, delivery: Delivery) {
        self.sequence = sequence
        self.time = time
        self.delivery = delivery
    }

    init(_ record: RecordView) throws(JournalError) {
        do {
            let delivery = try Delivery(decoding: Array(record.body))
            self.init(sequence: record.sequence, time: record.time, delivery: delivery)
        } catch {
            throw .inconsistent("record \(record.sequence) is not a readable unparsed callback: \(error)")
        }
    }

    /// Why it was not understood when it was last read.
    public var reason: String { delivery.note ?? "" }

    /// The delivery record that applies it: the same callback with the events a profile now
    /// reads in it, marked with this record's sequence and time.
    public func reread(events: [TaskEvent], note: String?) -> Delivery {
        var reread = delivery
        reread.events = events
        reread.note = note
        reread.rereads = Delivery.Reread(sequence: sequence, time: time)
        return reread
    }
}

/// The unparsed callbacks met during replay, less those a re-read record has applied.
struct UnparsedCallbacks {
    private var bySequence: [UInt64: UnparsedCallback] = [:]

    mutating func add(_ callback: UnparsedCallback) { bySequence[callback.sequence] = callback }

    mutating func markRead(_ marker: Delivery.Reread) { bySequence[marker.sequence] = nil }

    var waiting: [UnparsedCallback] { bySequence.values.sorted { $0.sequence < $1.sequence } }
}
