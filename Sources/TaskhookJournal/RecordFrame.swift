import TaskhookPosix

/// The on-disk framing of a record, little-endian:
///
///     u32 length of the payload   u32 CRC-32C of the payload
///     payload: u64 sequence, i64 time (ms), u8 kind, body
///
/// A torn write leaves a frame that is short or fails its checksum; nothing else can.
///
/// In format 2 segments each batch ends with a batch marker: a frame of kind 0xB7 whose
/// sequence is the batch's last record, whose body is the u64 offset where the batch starts,
/// then zeros up to the end of a page. Records count only once their batch's marker is read.
public enum RecordFrame {
    static let batchEndKind: UInt8 = 0xB7
    /// The smallest marker: its frame with the batch's start offset and no padding.
    static let minimumBatchEndSize = prefixSize + payloadHeaderSize + 8

    static let prefixSize = 8
    static let payloadHeaderSize = 17
    /// Bodies are at most a request body plus headers; anything larger is damage.
    public static let maxBodySize = 16 * 1024 * 1024

    public static func encodedSize(bodyCount: Int) -> Int { prefixSize + payloadHeaderSize + bodyCount }

    public static func encode(_ record: JournalRecord, into out: inout [UInt8]) {
        let start = out.count
        append(UInt32(payloadHeaderSize + record.body.count), to: &out)
        append(UInt32(0), to: &out)  // checksum, filled below
        append(record.sequence, to: &out)
        append(UInt64(bitPattern: record.time), to: &out)
        out.append(record.kind.rawValue)
        out.append(contentsOf: record.body)
        let crc = out.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[(start + prefixSize)...])) }
        withUnsafeBytes(of: crc.littleEndian) { raw in
            for i in 0..<4 { out[start + 4 + i] = raw[i] }
        }
    }

    /// Appends the marker ending a batch that started at file offset `batchStart` and whose
    /// last record is `lastSequence`, padded so that it ends on a page boundary of the file
    /// (`out` starts at file offset `fileOffset`).
    public static func encodeBatchEnd(lastSequence: UInt64, batchStart: Int, fileOffset: Int, into out: inout [UInt8]) {
        let start = out.count
        let page = Segment.pageSize
        let end = (fileOffset + start + minimumBatchEndSize + page - 1) / page * page
        let length = end - fileOffset - start - prefixSize
        append(UInt32(length), to: &out)
        append(UInt32(0), to: &out)
        append(lastSequence, to: &out)
        append(UInt64(0), to: &out)
        out.append(batchEndKind)
        append(UInt64(batchStart), to: &out)
        // From a page of zeros made once: a new zeroed array per batch cost an allocation and
        // a second pass over up to a page. The padding is less than a page: the marker ends on
        // the first page boundary that leaves room for its smallest frame.
        out += zeroPage[..<(length - payloadHeaderSize - 8)]
        let crc = out.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[(start + prefixSize)...])) }
        withUnsafeBytes(of: crc.littleEndian) { raw in
            for i in 0..<4 { out[start + 4 + i] = raw[i] }
        }
    }

    private static let zeroPage = [UInt8](repeating: 0, count: Segment.pageSize)

    private static func append<T: FixedWidthInteger>(_ value: T, to out: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) }
    }

    public enum Decoded {
        /// A valid frame, its body borrowed from the input.
        case record(RecordView, size: Int)
        /// A valid batch marker (format 2): the batch's last sequence and where it started.
        case batchEnd(lastSequence: UInt64, batchStart: Int, size: Int)
        /// The bytes end inside a frame.
        case incomplete
        /// The frame is damaged.
        case corrupt(String)
    }

    /// Decodes the frame at `offset` without copying its body.
    public static func decode(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> Decoded {
        let remaining = bytes.count - offset
        guard remaining >= prefixSize else { return .incomplete }
        let length = Int(load(UInt32.self, bytes, offset))
        guard length >= payloadHeaderSize, length <= payloadHeaderSize + maxBodySize else {
            return .corrupt("implausible record length \(length)")
        }
        guard remaining >= prefixSize + length else { return .incomplete }
        let payload = UnsafeRawBufferPointer(rebasing: bytes[(offset + prefixSize)..<(offset + prefixSize + length)])
        guard CRC32C.checksum(payload) == load(UInt32.self, bytes, offset + 4) else {
            return .corrupt("checksum mismatch")
        }
        if payload[16] == batchEndKind, length >= payloadHeaderSize + 8 {
            return .batchEnd(
                lastSequence: load(UInt64.self, payload, 0),
                batchStart: Int(truncatingIfNeeded: load(UInt64.self, payload, payloadHeaderSize)),
                size: prefixSize + length)
        }
        guard let kind = RecordKind(rawValue: payload[16]) else {
            return .corrupt("unknown record kind \(payload[16])")
        }
        let view = RecordView(
            sequence: load(UInt64.self, payload, 0), time: Int64(bitPattern: load(UInt64.self, payload, 8)), kind: kind,
            body: UnsafeRawBufferPointer(rebasing: payload[payloadHeaderSize...]))
        return .record(view, size: prefixSize + length)
    }

    static func load<T: FixedWidthInteger>(_ type: T.Type, _ bytes: UnsafeRawBufferPointer, _ offset: Int) -> T {
        T(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
    }
}
