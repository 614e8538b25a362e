/// One callback as received and authenticated: everything needed to process it again later
/// (the raw body and the headers that matter) plus what it was understood to say.
public struct Delivery: Sendable, Hashable {
    public struct Header: Sendable, Hashable {
        public var name: String
        public var value: String
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    public var route: String
    public var provider: String
    public var remoteAddress: String
    /// The provider's id for this delivery (`webhook-id` and the like), if it sends one.
    public var deliveryID: String?
    public var headers: [Header]
    public var body: [UInt8]
    /// Empty for a delivery whose body could not be understood (journaled as `unparsed`).
    public var events: [TaskEvent]
    /// Why the body was not understood, or what was odd about it.
    public var note: String?
    /// Set when this record applies an earlier `unparsed` record that the current profiles can
    /// now read: that record's journal sequence and time, which its events are applied with.
    public var rereads: Reread?

    /// The unparsed record a re-read delivery stands for.
    public struct Reread: Sendable, Hashable {
        public var sequence: UInt64
        /// Unix milliseconds.
        public var time: Int64
        public init(sequence: UInt64, time: Int64) {
            self.sequence = sequence
            self.time = time
        }
    }

    public init(
        route: String, provider: String, remoteAddress: String, deliveryID: String?, headers: [Header],
        body: [UInt8], events: [TaskEvent], note: String? = nil, rereads: Reread? = nil
    ) {
        self.route = route
        self.provider = provider
        self.remoteAddress = remoteAddress
        self.deliveryID = deliveryID
        self.headers = headers
        self.body = body
        self.events = events
        self.note = note
        self.rereads = rereads
    }
}
