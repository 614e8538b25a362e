import TaskhookCore

extension PackedTask {
    /// Its checkpoint form: its length, then its bytes as they are, except the key's hash, which
    /// is seeded per process and so written as zero and computed again when read.
    func write(into w: inout ByteWriter) {
        w.u32(UInt32(bytes.count))
        bytes.withUnsafeBufferPointer { all in
            w.raw(UnsafeBufferPointer(rebasing: all[..<Self.hashOffset]))
            w.i64(0)
            w.raw(UnsafeBufferPointer(rebasing: all[(Self.hashOffset + 8)...]))
        }
    }

    /// Reads what `write(into:)` wrote, checking every field (the bytes come from a file), so
    /// that unpacking it later cannot fail.
    init(reading r: inout ByteReader) throws(DecodeError) {
        let at = r.offset + 4
        let read = try r.bytes()
        do {
            try ByteReader.read(read) { (task: inout ByteReader) throws(DecodeError) in try Self.check(&task) }
        } catch {
            // Where in the checkpoint, not where in the task.
            throw DecodeError(reason: error.reason, offset: at + error.offset)
        }
        self.init(checked: read)
    }

    /// Walks one packed task's fields as `task` reads them, without keeping any.
    private static func check(_ r: inout ByteReader) throws(DecodeError) {
        func fail(_ reason: String) -> DecodeError { DecodeError(reason: reason, offset: r.offset) }
        guard try r.u8() < TaskStatus.allCases.count else { throw fail("unknown task status") }
        guard try r.u8() <= 1 else { throw fail("unknown task flags") }
        let providerCount = Int(try r.u8()) | Int(try r.u8()) << 8
        let idCount = Int(try r.u32())
        try r.skip(headerSize - 8)
        guard providerCount > 0 else { throw fail("a task without a provider") }
        try r.skip(providerCount + idCount)
        _ = try r.i64()  // first seen
        for _ in 0..<(try r.count()) { try r.skipLengthPrefixed() }
        try r.skipOptional()  // error
        try r.skipOptional()  // external id
        for _ in 0..<(try r.count()) {
            _ = try r.u64()
            guard try r.u8() < TaskStatus.allCases.count else { throw fail("unknown report status") }
            _ = try r.i64()
            guard TrackedTask.Report.Source(rawValue: try r.u8() >> 1) != nil else {
                throw fail("unknown report source")
            }
            try r.skipOptional()  // delivery id
        }
        _ = try r.expectation()
        try r.expectEnd()
    }
}
