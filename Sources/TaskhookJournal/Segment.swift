import TaskhookPosix

/// A segment file: a 24-byte header, then record frames.
///
///     "THJOURNL"  u32 format version  u64 first sequence  u32 CRC-32C of the 20 bytes before
///
/// Format 1 (written by taskhook before batch markers): frames follow the header at byte 24.
/// Format 2: the header is padded with zeros to a whole page and the frames start at byte 4096;
/// each batch ends with a batch marker frame padded to the end of a page, so the next batch
/// starts on a page of its own and no write ever rewrites a page holding acknowledged bytes,
/// and recovery knows which records were committed together (see `RecordFrame`).
public enum Segment {
    static let magic: [UInt8] = Array("THJOURNL".utf8)
    /// The version this taskhook writes. It reads 1 and 2.
    public static let formatVersion: UInt32 = 2
    public static let headerSize = 24
    /// Writes are aligned to this; page-granular writeback persists or loses whole pages.
    public static let pageSize = 4096
    static let suffix = ".journal"

    /// Where the first frame is in a segment of a format version.
    public static func firstFrameOffset(formatVersion: UInt32) -> Int {
        formatVersion >= 2 ? pageSize : headerSize
    }

    /// `00000000000000000001.journal`: names sort by their first sequence.
    public static func fileName(firstSequence: UInt64) -> String {
        let digits = String(firstSequence)
        return String(repeating: "0", count: max(0, 20 - digits.count)) + digits + suffix
    }

    public static func firstSequence(fileName: String) -> UInt64? {
        guard fileName.hasSuffix(suffix), fileName.count == 20 + suffix.count else { return nil }
        return UInt64(fileName.prefix(20))
    }

    /// The bytes before the first frame: the header, padded to a page in format 2.
    public static func header(firstSequence: UInt64, formatVersion: UInt32 = formatVersion) -> [UInt8] {
        var out = magic
        withUnsafeBytes(of: formatVersion.littleEndian) { out.append(contentsOf: $0) }
        withUnsafeBytes(of: firstSequence.littleEndian) { out.append(contentsOf: $0) }
        let crc = CRC32C.checksum(out)
        withUnsafeBytes(of: crc.littleEndian) { out.append(contentsOf: $0) }
        out += [UInt8](repeating: 0, count: firstFrameOffset(formatVersion: formatVersion) - headerSize)
        return out
    }

    struct Header: Equatable {
        var firstSequence: UInt64
        var formatVersion: UInt32
    }

    /// Checks a header; returns it or why it is not a valid header.
    static func parseHeader(_ bytes: UnsafeRawBufferPointer) -> Result<Header, HeaderProblem> {
        guard bytes.count >= headerSize else { return .failure(.short) }
        guard Array(bytes[0..<8]) == magic else {
            return .failure(.invalid("not a taskhook journal segment (bad magic)"))
        }
        guard
            CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[0..<20])) == RecordFrame.load(UInt32.self, bytes, 20)
        else { return .failure(.invalid("segment header checksum mismatch")) }
        let version = RecordFrame.load(UInt32.self, bytes, 8)
        guard version == 1 || version == formatVersion else {
            return .failure(.invalid("segment format version \(version); this taskhook reads versions 1 and 2"))
        }
        guard bytes.count >= firstFrameOffset(formatVersion: version) else { return .failure(.short) }
        return .success(Header(firstSequence: RecordFrame.load(UInt64.self, bytes, 12), formatVersion: version))
    }

    enum HeaderProblem: Error, Equatable {
        case short
        case invalid(String)
    }
}
