/// Base64 (RFC 4648) as webhook senders write it. Decoding: `=` padding optional, the standard or the
/// URL-safe alphabet; bits left over after the last whole byte are ignored, as Python's decoder does
/// (Standard Webhooks' tests rely on it for unpadded secrets). Shared with the CLI (`package`).
package enum Base64 {
    package enum Alphabet: Sendable {
        /// `A–Z a–z 0–9 + /`
        case standard
        /// `A–Z a–z 0–9 - _`
        case url
    }

    /// The decoded bytes, or nil for a character outside the alphabet, misplaced padding or an impossible length.
    package static func decode(_ text: some StringProtocol, alphabet: Alphabet) -> [UInt8]? {
        if let decoded = text.utf8.withContiguousStorageIfAvailable({ decode($0, alphabet: alphabet) }) {
            return decoded
        }
        return Array(text.utf8).withUnsafeBufferPointer { decode($0, alphabet: alphabet) }
    }

    /// `bytes` with the standard alphabet and padding (Standard Webhooks signatures), or the URL-safe
    /// alphabet without padding (JSON Web Keys).
    package static func encode(_ bytes: some Sequence<UInt8>, alphabet: Alphabet = .standard) -> String {
        let digits = Array(
            (alphabet == .standard
                ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
                : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_").utf8)
        var text: [UInt8] = []
        var accumulator: UInt32 = 0
        var bitCount = 0
        for byte in bytes {
            accumulator = (accumulator << 8) | UInt32(byte)
            bitCount += 8
            while bitCount >= 6 {
                bitCount -= 6
                text.append(digits[Int((accumulator >> UInt32(bitCount)) & 0x3F)])
            }
            accumulator &= (1 << UInt32(bitCount)) - 1
        }
        if bitCount > 0 { text.append(digits[Int((accumulator << UInt32(6 - bitCount)) & 0x3F)]) }
        if alphabet == .standard {
            while text.count % 4 != 0 { text.append(UInt8(ascii: "=")) }
        }
        return String(decoding: text, as: UTF8.self)
    }

    private static func decode(_ text: UnsafeBufferPointer<UInt8>, alphabet: Alphabet) -> [UInt8]? {
        var count = text.count
        var padding = 0
        while count > 0 && text[count - 1] == UInt8(ascii: "=") {
            count -= 1
            padding += 1
        }
        if padding > 2 || (padding > 0 && (count + padding) % 4 != 0) { return nil }
        if count % 4 == 1 { return nil }

        var bytes: [UInt8] = []
        bytes.reserveCapacity(count * 3 / 4)
        var accumulator: UInt32 = 0
        var bitCount = 0
        for digit in text[..<count] {
            guard let value = sextet(digit, alphabet: alphabet) else { return nil }
            accumulator = (accumulator << 6) | UInt32(value)
            bitCount += 6
            if bitCount >= 8 {
                bitCount -= 8
                bytes.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bitCount)))
                accumulator &= (1 << UInt32(bitCount)) - 1
            }
        }
        return bytes
    }

    private static func sextet(_ digit: UInt8, alphabet: Alphabet) -> UInt8? {
        switch digit {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): digit - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): digit - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0") + 52
        case UInt8(ascii: "+") where alphabet == .standard: 62
        case UInt8(ascii: "/") where alphabet == .standard: 63
        case UInt8(ascii: "-") where alphabet == .url: 62
        case UInt8(ascii: "_") where alphabet == .url: 63
        default: nil
        }
    }
}
