import TaskhookPosix

/// A segment file: a 24-byte header, then record frames.
///
///     "THJOURNL"  u32 format version  u64 first sequence  u32 CRC-32C of the 20 bytes before
public enum Segment {
    static let magic: [UInt8] = Array("THJOURNL".utf8)
    public static let formatVersion: UInt32 = 1
    public static let headerSize = 24
    static let suffix = ".journal"

    /// `00000000000000000001.journal`: names sort by their first sequence.
    public static func fileName(firstSequence: UInt64) -> String {
        let digits = String(firstSequence)
        return String(repeating: "0", count: max(0, 20 - digits.count)) + digits + suffix
    }

    public static func firstSequence(fileName: String) -> UInt64? {
        guard fileName.hasSuffix(suffix), fileName.count == 20 + suffix.count else { return nil }
        return UInt64(fileName.prefix(20))
    }

    public static func header(firstSequence: UInt64) -> [UInt8] {
        var out = magic
        withUnsafeBytes(of: formatVersion.littleEndian) { out.append(contentsOf: $0) }
        withUnsafeBytes(of: firstSequence.littleEndian) { out.append(contentsOf: $0) }
        let crc = CRC32C.checksum(out)
        withUnsafeBytes(of: crc.littleEndian) { out.append(contentsOf: $0) }
        return out
    }

    /// Checks a header; returns the first sequence or why it is not a valid header.
    static func parseHeader(_ bytes: UnsafeRawBufferPointer) -> Result<UInt64, HeaderProblem> {
        guard bytes.count >= headerSize else { return .failure(.short) }
        guard Array(bytes[0..<8]) == magic else {
            return .failure(.invalid("not a taskhook journal segment (bad magic)"))
        }
        guard
            CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[0..<20])) == RecordFrame.load(UInt32.self, bytes, 20)
        else { return .failure(.invalid("segment header checksum mismatch")) }
        let version = RecordFrame.load(UInt32.self, bytes, 8)
        guard version == formatVersion else {
            return .failure(.invalid("segment format version \(version); this taskhook reads version \(formatVersion)"))
        }
        return .success(RecordFrame.load(UInt64.self, bytes, 12))
    }

    enum HeaderProblem: Error, Equatable {
        case short
        case invalid(String)
    }
}
