// libFuzzer harness for the journal's frame decoder and recovery over arbitrary segment bytes.
// Built and run by fuzz/run.sh (see ParserFuzzer.swift for why it is not a SwiftPM target).
//
// Input: one control byte, then the bytes of the journal's last segment.
//   byte 0, bits 0-1  0: the bytes are the whole file; 1: a valid format 2 header page comes
//                     first; 2: a valid format 1 header; 3: format 2 header, and the records
//                     are re-framed as one valid batch first (so the walk reaches deep frames)
//   byte 0, bit 2     a second, intact segment precedes it (recovery across segments)
//   byte 0, bit 3     the bytes, after "THTABLE5", are also read as a task-table checkpoint
//
// What is checked (a violation traps, which libFuzzer reports as a crash):
//   - decoding a frame at any offset stays inside the bytes and reports sizes that fit;
//   - recovery either refuses with a journal error (never an I/O error) and leaves the file
//     byte for byte as it was, or succeeds, after which the segment is a prefix of what it was,
//     a replay visits gapless sequences ending at the recovered last sequence, the offline
//     check finds nothing wrong, and recovering again changes nothing;
//   - a checkpoint is refused with a decode error, or every task it holds unpacks and it
//     encodes to bytes that read back as the same table (its packed tasks are checked as read);
//   - the start's replay (most deliveries packed as new tasks on its decoding thread) gives
//     the table that applying every record the general way, in order, gives, and refuses
//     whenever that way refuses.

import TaskhookJournal
import TaskhookPosix
import TaskhookState

/// The journal's files in memory: a fuzz run makes millions of them.
final class MemoryFileSystem: DurableFileSystem, @unchecked Sendable {
    var files: [String: [UInt8]] = [:]

    func list(_ directory: String) throws(SyscallError) -> [String] {
        files.keys.filter { $0.hasPrefix(directory + "/") }.map { String($0.dropFirst(directory.count + 1)) }
    }
    func createDirectories(_ path: String) throws(SyscallError) {}
    func exists(_ path: String) -> Bool { files[path] != nil }
    func remove(_ path: String) throws(SyscallError) {
        guard files.removeValue(forKey: path) != nil else {
            throw SyscallError("unlink(\(path))", .noSuchFileOrDirectory)
        }
    }
    func rename(_ from: String, to: String) throws(SyscallError) {
        guard let bytes = files.removeValue(forKey: from) else { throw SyscallError("rename", .noSuchFileOrDirectory) }
        files[to] = bytes
    }
    func syncDirectory(_ path: String) throws(SyscallError) {}
    func modificationTime(_ path: String) throws(SyscallError) -> Int64 { 0 }
    func contents(of path: String, mapped: Bool) throws(SyscallError) -> FileContents {
        guard let bytes = files[path] else { throw SyscallError("open(\(path))", .noSuchFileOrDirectory) }
        return .copied(bytes)
    }
    func create(_ path: String) throws(SyscallError) -> any DurableFile {
        guard files[path] == nil else { throw SyscallError("open(\(path))", .fileExists) }
        files[path] = []
        return MemoryFile(self, path)
    }
    func openForWriting(_ path: String) throws(SyscallError) -> any DurableFile {
        guard files[path] != nil else { throw SyscallError("open(\(path))", .noSuchFileOrDirectory) }
        return MemoryFile(self, path)
    }
}

final class MemoryFile: DurableFile {
    let fileSystem: MemoryFileSystem
    let path: String
    init(_ fileSystem: MemoryFileSystem, _ path: String) {
        self.fileSystem = fileSystem
        self.path = path
    }
    func size() throws(SyscallError) -> Int { fileSystem.files[path]?.count ?? 0 }
    func write(_ bytes: ArraySlice<UInt8>, at offset: Int) throws(SyscallError) {
        var file = fileSystem.files[path] ?? []
        if file.count < offset + bytes.count { file += [UInt8](repeating: 0, count: offset + bytes.count - file.count) }
        file.replaceSubrange(offset..<(offset + bytes.count), with: bytes)
        fileSystem.files[path] = file
    }
    func syncData() throws(SyscallError) {}
    func sync() throws(SyscallError) {}
    func truncate(to size: Int) throws(SyscallError) {
        var file = fileSystem.files[path] ?? []
        if file.count > size {
            file.removeLast(file.count - size)
        } else {
            file += [UInt8](repeating: 0, count: size - file.count)
        }
        fileSystem.files[path] = file
    }
    func dropCachedPages(offset: Int, count: Int) {}
    func writeBack(offset: Int, count: Int, waiting: Bool) {}
    func close() {}
}

private func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError(message()) }
}

private func checkDecoder(_ bytes: [UInt8]) {
    bytes.withUnsafeBytes { raw in
        for offset in stride(from: 0, to: raw.count, by: max(1, raw.count / 64)) {
            switch RecordFrame.decode(raw, at: offset) {
            case .record(let record, let size):
                check(size >= 25 && offset + size <= raw.count, "record of \(size) bytes at \(offset) of \(raw.count)")
                check(record.body.count == size - 25, "body of \(record.body.count) bytes in a frame of \(size)")
            case .batchEnd(_, _, let size):
                check(size >= 33 && offset + size <= raw.count, "marker of \(size) bytes at \(offset) of \(raw.count)")
            case .incomplete, .corrupt:
                break
            }
        }
    }
}

/// One valid format 2 batch of the records that decode from `bytes`, so deep frames are reached.
private func reframed(_ bytes: [UInt8], first: UInt64) -> [UInt8] {
    var out = Segment.header(firstSequence: first)
    let batchStart = out.count
    var sequence = first
    var start = 0
    while start + 8 <= bytes.count, sequence < first + 64 {
        let length = Int(bytes[start]) % 64
        let body = Array(bytes[min(bytes.count, start + 1)..<min(bytes.count, start + 1 + length)])
        RecordFrame.encode(JournalRecord(sequence: sequence, time: 0, kind: .delivery, body: body), into: &out)
        sequence += 1
        start += 1 + length
    }
    if sequence > first {
        RecordFrame.encodeBatchEnd(lastSequence: sequence - 1, batchStart: batchStart, fileOffset: 0, into: &out)
    }
    return out + bytes[min(start, bytes.count)...]
}

/// A checkpoint's bytes a file may hold with a matching checksum: refused, or whole.
func checkCheckpoint(_ payload: [UInt8]) {
    guard let table = try? TaskTable(decoding: Array("THTABLE5".utf8) + payload) else { return }
    var reports = 0
    for task in table.tasks.values { reports += task.reports.count }
    guard let again = try? TaskTable(decoding: table.encoded()), again == table else {
        fatalError("a checkpoint read with \(table.count) tasks and \(reports) reports does not read back as itself")
    }
}

/// The start's replay of a recovered journal against each record applied the general way.
private func checkReplayedTable(_ directory: JournalDirectory) {
    var general = TaskTable()
    var records = 0
    let generalWay = Result { () throws(JournalError) in
        try directory.replay(after: 0) { (record: RecordView) throws(JournalError) in
            try JournalReplay.apply(record, to: &general)
            records += 1
        }
    }
    switch (Result { () throws(JournalError) in try JournalReplay.open(directory) }, generalWay) {
    case (.success(let replay), .success):
        check(replay.replayed == records, "replay counted \(replay.replayed) records of \(records)")
        check(replay.table == general, "the replayed table is not the one the records give applied one by one")
    case (.success, .failure(let error)):
        fatalError("replay accepted records the general way refuses: \(error)")
    case (.failure, _):
        break  // an unparsed record that does not read refuses the start, not the general way
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data, size >= 1 else { return 0 }
    let input = UnsafeBufferPointer(start: data, count: size)
    let flags = input[0]
    let payload = Array(input[1...])
    checkDecoder(payload)
    if flags & 8 != 0 { checkCheckpoint(payload) }

    let fileSystem = MemoryFileSystem()
    let directory = JournalDirectory(path: "/j", fileSystem: fileSystem)
    var first: UInt64 = 1
    if flags & 4 != 0 {
        var earlier = Segment.header(firstSequence: 1)
        let batchStart = earlier.count
        RecordFrame.encode(JournalRecord(sequence: 1, time: 0, kind: .expect, body: [1]), into: &earlier)
        RecordFrame.encodeBatchEnd(lastSequence: 1, batchStart: batchStart, fileOffset: 0, into: &earlier)
        fileSystem.files["/j/" + Segment.fileName(firstSequence: 1)] = earlier
        first = 2
    }
    let segment: [UInt8]
    switch flags & 3 {
    case 0: segment = payload
    case 1: segment = Segment.header(firstSequence: first) + payload
    case 2: segment = Segment.header(firstSequence: first, formatVersion: 1) + payload
    default: segment = reframed(payload, first: first)
    }
    let path = "/j/" + Segment.fileName(firstSequence: first)
    fileSystem.files[path] = segment
    let before = fileSystem.files

    let recovery: JournalDirectory.Recovery
    do {
        recovery = try directory.recover()
    } catch {
        if case .io = error { fatalError("recovery of bytes in memory failed with an I/O error: \(error)") }
        check(fileSystem.files == before, "a refused recovery changed the files")
        return 0
    }
    if let now = fileSystem.files[path] {
        check(segment.starts(with: now), "recovery did more than cut the segment short")
    }
    var expected: UInt64?
    do {
        try directory.replay(after: 0) { record in
            if let expected {
                check(record.sequence == expected, "replay skipped from \(expected) to \(record.sequence)")
            }
            expected = record.sequence + 1
        }
    } catch {
        fatalError("replay after a successful recovery failed: \(error)")
    }
    check(
        (expected ?? recovery.lastSequence + 1) == recovery.lastSequence + 1,
        "replay ended at \(String(describing: expected)), recovery at \(recovery.lastSequence)")
    do {
        let report = try directory.verify()
        check(report.isClean && report.tornTail == nil, "the offline check after recovery: \(report)")
        let after = fileSystem.files
        let again = try directory.recover()
        check(again.lastSequence == recovery.lastSequence && again.truncated == nil, "recovery is not idempotent")
        check(fileSystem.files == after, "a second recovery changed the files")
    } catch {
        fatalError("the journal did not open again after recovery: \(error)")
    }
    checkReplayedTable(directory)
    return 0
}
