import CLinux

/// CRC-32C (Castagnoli), as used by the journal's record frames.
public enum CRC32C {
    public static func checksum(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
        clinux_crc32c(crc, bytes.baseAddress, bytes.count)
    }

    public static func checksum(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBytes { checksum($0) }
    }

    // MARK: Combining checksums

    // A CRC is a remainder of polynomial division over GF(2), so the checksum of A followed by B
    // is the checksum of A multiplied by x^(8·|B|), plus that of B (the conditioning of the start
    // and the end cancels out). That lets the checksum of any range of a buffer come from two
    // checksums of prefixes, without reading the range again (`shift`, `combine`).

    /// The polynomial, reflected: bit 31 is x^0, bit 0 is x^31.
    static let polynomial: UInt32 = 0x82F6_3B78

    /// a·b mod the polynomial, in the reflected representation: shifts a checksum by a
    /// `shiftFactor`.
    public static func multiply(_ a: UInt32, _ b: UInt32) -> UInt32 {
        var a = a
        var b = b
        var product: UInt32 = 0
        while a != 0 {
            if a & 0x8000_0000 != 0 { product ^= b }  // a has x^i: add b·x^i
            a <<= 1
            b = b & 1 != 0 ? (b >> 1) ^ polynomial : b >> 1  // b·x
        }
        return product
    }

    /// x^(2^k) mod the polynomial, for k = 0…63.
    static let powersOfTwo: [UInt32] = {
        var powers: [UInt32] = [1 << 30]  // x^1
        for _ in 1..<64 { powers.append(multiply(powers.last!, powers.last!)) }
        return powers
    }()

    /// x^(8·count) mod the polynomial: what a checksum is multiplied by when `count` bytes follow.
    public static func shiftFactor(bytes count: Int) -> UInt32 {
        var factor: UInt32 = 1 << 31  // x^0
        var bits = UInt64(count) << 3
        var k = 0
        while bits != 0 {
            if bits & 1 != 0 { factor = multiply(powersOfTwo[k], factor) }
            bits >>= 1
            k += 1
        }
        return factor
    }

    /// The checksum of A followed by B, from A's checksum, B's, and B's length.
    public static func combine(_ first: UInt32, _ second: UInt32, secondCount: Int) -> UInt32 {
        multiply(shiftFactor(bytes: secondCount), first) ^ second
    }
}
