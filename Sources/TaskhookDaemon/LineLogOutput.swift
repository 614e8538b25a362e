import Logging
import TaskhookPosix

/// Where `LineLogHandler` writes: a descriptor, one write(2) per line by default, so lines from
/// threads never interleave.
///
/// The daemon calls `hold()` once its event loop runs: from then on, lines below warning wait
/// in memory until `flush()`, which the loop calls at the end of every iteration, so a burst of
/// callbacks costs one write, not one per callback (at ingest rates the write is most of a log
/// line's cost). Warnings and errors, and anything once 64 KiB are waiting, go out at once.
///
/// While held, the writes are a thread's of its own, never the loop's: stderr may be a pipe
/// whose reader stalls (a terminal paused, a log shipper behind) or a file whose writes the
/// kernel holds back while the disk catches up on dirty pages (30 ms in one write, in
/// bench/table.sh, with the loop waiting). Lines wait for that thread up to `pendingLimit`
/// bytes; past it they are dropped and counted, and a line saying how many follows once the
/// output takes lines again. A crash loses at most the lines not yet written.
public final class LineLogOutput: @unchecked Sendable {
    // @unchecked: every stored variable is touched only with `lock` held.
    public static let standardError = LineLogOutput(descriptor: 2)

    private let descriptor: Int32
    private let pendingLimit: Int
    private let lock = ConditionLock()
    /// Lines waiting, not yet handed to the writer thread.
    private var buffer: [UInt8] = []
    private var holding = false
    /// Lines are waiting for the writer thread (`flush()` handed them over).
    private var handed = false
    /// The writer thread is writing what it took.
    private var writing = false
    private var dropped = 0
    private var writer: OSThread?
    private static let limit = 64 * 1024

    /// `pendingLimit`: the bytes that may wait for a held output's writer before lines are
    /// dropped (4 MiB: about 25,000 callback lines).
    public init(descriptor: Int32, pendingLimit: Int = 4 << 20) {
        self.descriptor = descriptor
        self.pendingLimit = pendingLimit
    }

    /// Lines below warning wait for `flush()`, and every write is the writer thread's, until
    /// `release()`.
    public func hold() {
        lock.withLock { holding = true }
    }

    /// Waits for the writer thread to write what it was handed, stops it, writes what waits and
    /// stops holding lines back.
    public func release() {
        let thread = lock.withLock { () -> OSThread? in
            holding = false
            lock.broadcast()
            while writing || handed { lock.wait() }
            buffer += dropNotice()
            writeBuffer()
            defer { writer = nil }
            return writer
        }
        thread?.join()
    }

    /// Writes every line waiting (held: hands them to the writer thread).
    public func flush() {
        lock.withLock { holding ? handOver() : writeBuffer() }
    }

    /// Waits until the lines handed to the writer thread so far are written (for tests).
    func waitUntilWritten() {
        lock.withLock {
            while holding && (writing || handed) { lock.wait() }
        }
    }

    func write(_ line: [UInt8], urgent: Bool) {
        writeLine(urgent: urgent) { $0.append(contentsOf: line) }
    }

    /// Appends one line that `format` writes straight into the waiting lines, so a line logged
    /// per callback needs no array of its own. `format` runs with the lock held: it must only
    /// append the line (ending in a newline), never log.
    func writeLine(urgent: Bool, _ format: (inout [UInt8]) -> Void) {
        lock.withLock {
            guard holding else {
                format(&buffer)
                return writeBuffer()
            }
            guard buffer.count < pendingLimit else {
                dropped += 1
                return
            }
            format(&buffer)
            if urgent || buffer.count >= Self.limit { handOver() }
        }
    }

    /// With `lock` held: wakes the writer thread (started on first use) for what waits.
    private func handOver() {
        guard !buffer.isEmpty || dropped > 0 else { return }
        handed = true
        if writer == nil {
            let thread = OSThread { [self] in runWriter() }
            do {
                try thread.start()
                writer = thread
            } catch {
                // No thread: written here, as before a hold.
                handed = false
                return writeBuffer()
            }
        }
        lock.broadcast()
    }

    private func runWriter() {
        var lines: [UInt8] = []
        while true {
            let took = lock.withLock { () -> Bool in
                while !handed && holding { lock.wait() }
                guard handed else { return false }  // released
                handed = false
                writing = true
                swap(&lines, &buffer)
                lines += dropNotice()
                return true
            }
            guard took else { return }
            Self.write(lines, to: descriptor)
            lines.removeAll(keepingCapacity: lines.count <= Self.limit)
            lock.withLock {
                writing = false
                lock.broadcast()
            }
        }
    }

    /// With `lock` held: the line that says how many lines were dropped since the last one,
    /// if any were.
    private func dropNotice() -> [UInt8] {
        guard dropped > 0 else { return [] }
        defer { dropped = 0 }
        var line: [UInt8] = []
        LineLogHandler.appendStart(level: .warning, message: "log lines dropped: the output did not keep up", to: &line)
        LineLogHandler.appendField("count", UInt64(dropped), to: &line)
        line.append(UInt8(ascii: "\n"))
        return line
    }

    /// With `lock` held.
    private func writeBuffer() {
        guard !buffer.isEmpty else { return }
        Self.write(buffer, to: descriptor)
        buffer.removeAll(keepingCapacity: buffer.count <= Self.limit)
    }

    /// An error drops the lines: logging never fails a callback.
    private static func write(_ bytes: [UInt8], to descriptor: Int32) {
        _ = bytes.withUnsafeBytes { bytes in
            Result { () throws(SyscallError) in try FileSystem.writeAll(bytes, to: descriptor) }
        }
    }
}
