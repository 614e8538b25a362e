import Crypto

/// HMAC-SHA256 (RFC 2104) with its key absorbed once, over swift-crypto's `SHA256`.
///
/// swift-crypto's `HMAC.update(data:)` is generic over `DataProtocol` and not inlinable: every
/// call runs about 2,000 instructions of unspecialized generic code before a byte is hashed,
/// and its `finalize` as much again, so feeding a callback's signed content in two pieces cost
/// more than copying it into one array. This is the same construction fed through
/// `SHA256.update(bufferPointer:)`, which is not generic; the tests check it against
/// `HMAC<SHA256>` for keys shorter than, as long as and longer than a block.
struct KeyedSHA256: Sendable {
    /// SHA-256 after `key ⊕ ipad`, and after `key ⊕ opad`: copying them costs a few bytes,
    /// where absorbing the key costs two compressions per callback.
    private var inner: SHA256
    private let outer: SHA256

    init(key: SymmetricKey) {
        let blockSize = SHA256.blockByteCount
        var block = key.withUnsafeBytes { Array($0) }
        if block.count > blockSize { block = Array(SHA256.hash(data: block)) }
        block += repeatElement(0, count: blockSize - block.count)
        var inner = SHA256()
        inner.update(data: block.map { $0 ^ 0x36 })
        var outer = SHA256()
        outer.update(data: block.map { $0 ^ 0x5C })
        self.inner = inner
        self.outer = outer
    }

    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        inner.update(bufferPointer: bytes)
    }

    mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { inner.update(bufferPointer: $0) }
    }

    /// The authentication code of everything given to `update`.
    func finalize() -> SHA256Digest {
        var outer = self.outer
        inner.finalize().withUnsafeBytes { outer.update(bufferPointer: $0) }
        return outer.finalize()
    }
}
