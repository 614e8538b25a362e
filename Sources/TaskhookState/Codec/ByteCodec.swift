import TaskhookCore

/// A little-endian, length-prefixed binary encoding for journal bodies and checkpoints.
public struct ByteWriter {
    public private(set) var bytes: [UInt8] = []

    public init() {}

    /// Room for about `capacity` bytes up front: growing a large buffer by doubling copies it
    /// and touches fresh pages each time.
    public init(capacity: Int) {
        bytes.reserveCapacity(capacity)
    }

    /// The bytes written so far, in an array of their own size; the writer is emptied, keeping
    /// its room (when at most `limit` bytes) for the next. One writer reused for every record
    /// costs one allocation of the record's size per record, where a writer per record
    /// reserves an estimate: over 1 KiB even for a small callback, and glibc serves each request
    /// of 1 KiB or more only after merging its fast bins, which sent the loop's next small
    /// allocations down malloc's slow path (perf under load: ~8% of the loop's time).
    public mutating func takeBytes(keepingCapacityUpTo limit: Int = 64 * 1024) -> [UInt8] {
        // A copy of exactly the bytes: `Array(bytes)` would share the storage instead.
        let taken = bytes.withUnsafeBufferPointer { Array($0) }
        bytes.removeAll(keepingCapacity: bytes.capacity <= limit)
        return taken
    }

    /// Empties the writer, keeping its room.
    public mutating func clear() { bytes.removeAll(keepingCapacity: true) }

    public mutating func u8(_ v: UInt8) { bytes.append(v) }

    public mutating func u32(_ v: UInt32) {
        withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) }
    }

    public mutating func u64(_ v: UInt64) {
        withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) }
    }

    public mutating func i64(_ v: Int64) { u64(UInt64(bitPattern: v)) }

    /// Bytes as they are, with no length before them.
    public mutating func raw(_ v: UnsafeBufferPointer<UInt8>) { bytes.append(contentsOf: v) }

    public mutating func raw(_ v: UnsafeRawBufferPointer) { bytes.append(contentsOf: v) }

    public mutating func bytes(_ v: [UInt8]) {
        u32(UInt32(v.count))
        bytes.append(contentsOf: v)
    }

    public mutating func string(_ v: String) {
        var v = v
        v.withUTF8 { utf8 in
            u32(UInt32(utf8.count))
            bytes.append(contentsOf: utf8)
        }
    }

    public mutating func optionalString(_ v: String?) {
        if let v {
            u8(1)
            string(v)
        } else {
            u8(0)
        }
    }
}

/// Why bytes could not be decoded, and where.
public struct DecodeError: Error, Equatable, CustomStringConvertible {
    public let reason: String
    public let offset: Int
    public init(reason: String, offset: Int) {
        self.reason = reason
        self.offset = offset
    }
    public var description: String { "\(reason) at byte \(offset)" }
}

/// Reads what `ByteWriter` wrote, from borrowed bytes: valid only inside the closure that
/// lent them (`withUnsafeBytes`). Every length is checked against what is left.
public struct ByteReader {
    private let data: UnsafeRawBufferPointer
    public private(set) var offset = 0

    public init(_ data: UnsafeRawBufferPointer) { self.data = data }

    /// Runs `body` with a reader over `bytes`.
    public static func read<T>(_ bytes: [UInt8], _ body: (inout ByteReader) throws(DecodeError) -> T)
        throws(DecodeError) -> T
    {
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(DecodeError) -> T in
                var reader = ByteReader(raw)
                return try body(&reader)
            }
        }
        return try result.get()
    }

    public var isAtEnd: Bool { offset == data.count }

    // Inlined, with the error made out of line: a replay takes a dozen fields from each of a
    // million records, and the call cost as much as the checksums.
    @inline(__always)
    private mutating func take(_ n: Int) throws(DecodeError) -> UnsafeRawBufferPointer {
        guard n >= 0, data.count - offset >= n else { throw truncated(needing: n) }
        defer { offset += n }
        return UnsafeRawBufferPointer(rebasing: data[offset..<offset + n])
    }

    @inline(never)
    private func truncated(needing n: Int) -> DecodeError {
        DecodeError(reason: "truncated: \(n) bytes needed, \(data.count - offset) left", offset: offset)
    }

    public mutating func u8() throws(DecodeError) -> UInt8 { try take(1)[0] }

    public mutating func u32() throws(DecodeError) -> UInt32 {
        UInt32(littleEndian: try take(4).loadUnaligned(as: UInt32.self))
    }

    public mutating func u64() throws(DecodeError) -> UInt64 {
        UInt64(littleEndian: try take(8).loadUnaligned(as: UInt64.self))
    }

    public mutating func i64() throws(DecodeError) -> Int64 { Int64(bitPattern: try u64()) }

    /// An element count, checked against what is left so garbage cannot ask for a huge loop.
    public mutating func count() throws(DecodeError) -> Int {
        let at = offset
        let n = Int(try u32())
        guard n <= data.count - offset else {
            throw DecodeError(reason: "count \(n) exceeds the remaining bytes", offset: at)
        }
        return n
    }

    public mutating func bytes() throws(DecodeError) -> [UInt8] {
        let n = Int(try u32())
        return Array(try take(n))
    }

    /// Steps over `n` bytes.
    public mutating func skip(_ n: Int) throws(DecodeError) { _ = try take(n) }

    /// Steps over a length-prefixed value without copying it.
    public mutating func skipLengthPrefixed() throws(DecodeError) { _ = try lengthPrefixed() }

    /// A length-prefixed value's bytes, borrowed like the reader's own.
    public mutating func lengthPrefixed() throws(DecodeError) -> UnsafeRawBufferPointer {
        let n = Int(try u32())
        return try take(n)
    }

    /// What `optionalString` reads, as borrowed bytes.
    public mutating func optionalLengthPrefixed() throws(DecodeError) -> UnsafeRawBufferPointer? {
        switch try u8() {
        case 0: return nil
        case 1: return try lengthPrefixed()
        case let tag: throw DecodeError(reason: "invalid optional tag \(tag)", offset: offset - 1)
        }
    }

    /// The bytes read since `start` (an earlier `offset`), borrowed.
    public func bytes(since start: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: data[start..<offset])
    }

    /// Strings were written from Swift strings, so they are valid UTF-8 unless the bytes are
    /// damaged (which the journal's checksums catch first); decoding repairs rather than
    /// validates, which keeps replay off the slow generic path.
    public mutating func string() throws(DecodeError) -> String {
        String(decoding: try lengthPrefixed(), as: UTF8.self)
    }

    /// Steps over what `optionalString` reads, without making the string.
    public mutating func skipOptional() throws(DecodeError) { _ = try optionalLengthPrefixed() }

    public mutating func optionalString() throws(DecodeError) -> String? {
        try optionalLengthPrefixed().map { String(decoding: $0, as: UTF8.self) }
    }

    public func expectEnd() throws(DecodeError) {
        guard isAtEnd else {
            throw DecodeError(reason: "\(data.count - offset) unexpected trailing bytes", offset: offset)
        }
    }
}
