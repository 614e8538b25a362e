import TaskhookPosix

/// The CRC-32C of any range of one buffer, after a single pass over it: for searches that
/// check the checksums of many overlapping ranges (a frame claimed at every byte offset), which
/// reading each range again would make quadratic.
///
/// The pass keeps the checksum of every prefix ending on a `block` boundary; a range's checksum
/// is then its end's prefix checksum minus its start's shifted past it (`CRC32C.combine`), each
/// prefix finished from the block boundary before it. So a range costs at most two blocks read
/// and a shift, whatever its length, and the pass holds 4 bytes per block.
struct ChecksumRanges {
    private let bytes: UnsafeRawBufferPointer
    /// Where the prefixes start; ranges must start here or later.
    private let base: Int
    private var prefixes: [UInt32] = []
    /// The last length shifted by, and its factor: crafted damage repeats one claimed length.
    private var lastShift: (count: Int, factor: UInt32) = (0, 1 << 31)
    /// Bytes read so far to compute checksums: the pass, then at most two blocks per range.
    private(set) var bytesRead = 0
    static let block = 64

    init(_ bytes: UnsafeRawBufferPointer, from base: Int) {
        self.bytes = bytes
        self.base = base
        var crc: UInt32 = 0
        prefixes.reserveCapacity((bytes.count - base) / Self.block + 1)
        prefixes.append(crc)
        var start = base
        while start + Self.block <= bytes.count {
            crc = CRC32C.checksum(
                UnsafeRawBufferPointer(rebasing: bytes[start..<(start + Self.block)]), continuing: crc)
            prefixes.append(crc)
            start += Self.block
        }
        bytesRead = start - base
    }

    /// The checksum of the bytes from `base` to `end`.
    private mutating func prefix(_ end: Int) -> UInt32 {
        let index = (end - base) / Self.block
        let boundary = base + index * Self.block
        bytesRead += end - boundary
        return CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[boundary..<end]), continuing: prefixes[index])
    }

    /// The checksum of `range` (within the buffer, from `base` on).
    mutating func checksum(_ range: Range<Int>) -> UInt32 {
        precondition(range.lowerBound >= base && range.upperBound <= bytes.count)
        if lastShift.count != range.count { lastShift = (range.count, CRC32C.shiftFactor(bytes: range.count)) }
        return CRC32C.multiply(lastShift.factor, prefix(range.lowerBound)) ^ prefix(range.upperBound)
    }
}
