import Glibc
import TaskhookJournal
import TaskhookPosix

/// A fresh directory under /tmp for one test, removed when the test's value goes away.
final class TemporaryDirectory {
    let path: String

    init() {
        var template = Array("/tmp/taskhook-journal-XXXXXX".utf8CString)
        path = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
    }

    deinit { _ = system("rm -rf '\(path)'") }
}

func record(_ sequence: UInt64, _ text: String = "body", kind: RecordKind = .delivery) -> JournalRecord {
    JournalRecord(sequence: sequence, time: 1_700_000_000_000 + Int64(sequence), kind: kind, body: Array(text.utf8))
}

/// Writes a segment file directly in format 1 (as journals written before batch markers are):
/// the header and the frames of `records`.
@discardableResult
func writeSegment(_ directory: String, first: UInt64, _ records: [JournalRecord], trailing: [UInt8] = []) throws
    -> String
{
    var bytes = Segment.header(firstSequence: first, formatVersion: 1)
    for r in records { RecordFrame.encode(r, into: &bytes) }
    bytes += trailing
    let path = directory + "/" + Segment.fileName(firstSequence: first)
    let file = try File.openForWriting(path, create: true)
    try file.write(bytes, at: 0)
    file.close()
    return path
}

func readAll(_ path: String) throws -> [UInt8] {
    let file = try File.openForReading(path)
    defer { file.close() }
    return try file.read(count: try file.size(), at: 0)
}

func overwrite(_ path: String, _ bytes: [UInt8]) throws {
    _ = unlink(path)
    let file = try File.openForWriting(path, create: true)
    try file.write(bytes, at: 0)
    file.close()
}

func replayed(_ directory: JournalDirectory, after: UInt64 = 0) throws -> [JournalRecord] {
    var records: [JournalRecord] = []
    try directory.replay(after: after) { records.append($0.record) }
    return records
}

/// Waits for the writer's completions until `count` have arrived.
func completions(_ writer: GroupCommitWriter, count: Int) -> [GroupCommitWriter.Completion] {
    var all: [GroupCommitWriter.Completion] = []
    var pfd = pollfd(fd: writer.completionsReady.rawValue, events: Int16(POLLIN), revents: 0)
    while all.count < count {
        _ = poll(&pfd, 1, 5000)
        all += writer.takeCompletions().filter {
            if case .committed = $0 { return false }  // batch figures, not outcomes
            return true
        }
    }
    return all
}
