/// An IPv4 or IPv6 address as its bytes, read from text without the C library, so trusted-proxy
/// blocks can be matched by prefix. An IPv4-mapped IPv6 address (`::ffff:10.0.0.1`, what a dual-stack
/// listener reports for an IPv4 peer) is read as the IPv4 address it carries.
struct IPAddress: Sendable, Equatable {
    /// 4 bytes (IPv4) or 16 (IPv6), network order.
    let bytes: [UInt8]

    init?(parsing text: String) {
        if let v4 = Self.ipv4(Substring(text)) {
            bytes = v4
        } else if let v6 = Self.ipv6(Substring(text)) {
            let mappedPrefix: [UInt8] = Array(repeating: 0, count: 10) + [0xff, 0xff]
            bytes = Array(v6.prefix(12)) == mappedPrefix ? Array(v6.suffix(4)) : v6
        } else {
            return nil
        }
    }

    /// Whether `other` is in the block of this address's first `prefixLength` bits (same family only).
    func matches(_ other: IPAddress, prefixLength: Int) -> Bool {
        guard bytes.count == other.bytes.count else { return false }
        var remaining = prefixLength
        for (mine, theirs) in zip(bytes, other.bytes) where remaining > 0 {
            let bits = min(remaining, 8)
            let mask = UInt8(truncatingIfNeeded: 0xff << (8 - bits))
            if mine & mask != theirs & mask { return false }
            remaining -= bits
        }
        return true
    }

    private static func ipv4(_ text: Substring) -> [UInt8]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var bytes: [UInt8] = []
        for part in parts {
            // Leading zeros are refused: some readers take them as octal.
            guard (1...3).contains(part.count), part.allSatisfy(\.isASCIIDigit), part == "0" || part.first != "0",
                let value = UInt8(part)
            else { return nil }
            bytes.append(value)
        }
        return bytes
    }

    private static func ipv6(_ text: Substring) -> [UInt8]? {
        let halves = text.split(separator: "::", omittingEmptySubsequences: false)
        guard halves.count <= 2 else { return nil }
        func groups(_ half: Substring) -> [UInt8]? {
            guard !half.isEmpty else { return [] }
            var bytes: [UInt8] = []
            let parts = half.split(separator: ":", omittingEmptySubsequences: false)
            for (index, part) in parts.enumerated() {
                if index == parts.count - 1, part.contains("."), let v4 = ipv4(part) {
                    bytes += v4
                    continue
                }
                guard (1...4).contains(part.count), let value = UInt16(part, radix: 16) else { return nil }
                bytes += [UInt8(value >> 8), UInt8(value & 0xff)]
            }
            return bytes
        }
        guard let head = groups(halves[0]) else { return nil }
        if halves.count == 1 { return head.count == 16 ? head : nil }
        guard let tail = groups(halves[1]), head.count + tail.count <= 14 else { return nil }
        return head + Array(repeating: 0, count: 16 - head.count - tail.count) + tail
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
