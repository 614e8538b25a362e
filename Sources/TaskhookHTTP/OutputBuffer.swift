/// The bytes a connection has yet to send: appended at the end, taken from the front as the
/// socket accepts them.
///
/// Sent bytes are not cut off one write at a time: removing them from the front of an array
/// moves every byte behind them, so a slow reader of a large answer (an event stream's backlog,
/// taken a few KiB per write) would cost time quadratic in the answer's size. An offset marks
/// where the unsent bytes start, and the storage is compacted only once the sent part is at
/// least 64 KiB and at least as large as the unsent part: each compaction moves no more bytes
/// than were sent since the one before, so every byte is moved at most once, whatever the
/// pattern of partial writes.
public struct OutputBuffer {
    private var storage: [UInt8] = []
    /// Where the unsent bytes start in `storage`.
    private var start = 0
    /// Bytes moved to the front by compaction so far (never more than were sent).
    public private(set) var movedBytes = 0

    /// Sent bytes kept before compacting; below this, moving them is not worth a thought.
    static let compactionThreshold = 64 * 1024

    public init() {}

    /// Bytes not sent yet.
    public var count: Int { storage.count - start }

    public var isEmpty: Bool { start == storage.count }

    public mutating func append(_ byte: UInt8) { storage.append(byte) }

    public mutating func append(contentsOf bytes: some Sequence<UInt8>) { storage.append(contentsOf: bytes) }

    /// Appends what `serialize` writes to the end of an array (the response writer's way).
    public mutating func write(_ serialize: (inout [UInt8]) -> Void) { serialize(&storage) }

    /// The unsent bytes, borrowed for a write.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try storage.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[start...])) }
    }

    /// `sent` bytes from the front were written.
    public mutating func removeFirst(_ sent: Int) {
        precondition(sent >= 0 && sent <= count, "removing \(sent) of \(count) unsent bytes")
        start += sent
        if start == storage.count {
            // Nothing left: start over, keeping a small buffer for the next answer but giving a
            // large one (a big body once) back.
            storage.removeAll(keepingCapacity: storage.capacity <= Self.compactionThreshold)
            start = 0
        } else if start >= Self.compactionThreshold, start >= count {
            movedBytes += count
            storage.removeSubrange(0..<start)
            start = 0
        }
    }
}
