import TaskhookPosix

/// The on-disk framing of a record, little-endian:
///
///     u32 length of the payload   u32 CRC-32C of the payload
///     payload: u64 sequence, i64 time (ms), u8 kind, body
///
/// A torn write leaves a frame that is short or fails its checksum; nothing else can.
public enum RecordFrame {
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

    private static func append<T: FixedWidthInteger>(_ value: T, to out: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) }
    }

    public enum Decoded {
        /// A valid frame, its body borrowed from the input.
        case record(RecordView, size: Int)
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
