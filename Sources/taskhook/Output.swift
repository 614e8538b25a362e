import TaskhookPosix

/// Buffered standard output: a dump of a million records is a million lines.
struct StandardOutput {
    private var buffer: [UInt8] = []

    mutating func write(_ text: String) {
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= 64 * 1024 { flush() }
    }

    mutating func flush() {
        writeAll(buffer, to: 1)
        buffer.removeAll(keepingCapacity: true)
    }
}

func printError(_ text: String) {
    writeAll(Array((text + "\n").utf8), to: 2)
}

/// Every byte to an inherited descriptor, short writes and EINTR retried. A failure (stdout
/// closed: a pipe to head) drops the rest; there is no one left to tell.
func writeAll(_ bytes: [UInt8], to descriptor: Int32) {
    _ = bytes.withUnsafeBytes { raw in
        Result { () throws(SyscallError) in try FileSystem.writeAll(raw, to: descriptor) }
    }
}
