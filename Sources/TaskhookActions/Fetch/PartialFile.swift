import Crypto
import Foundation
import TaskhookClient
import TaskhookPosix

/// The partial file of one download: summed as far as it goes when opened, then continued (or
/// started over) as the answer's head decides, written from URLSession's delegate queue while
/// the fetching thread waits.
final class PartialFile: @unchecked Sendable {
    // @unchecked: every member is touched under `lock`.
    let path: String
    private let lock = NSLock()
    private let file: File
    private var hasher = SHA256()
    private var next: Int64
    private var bodyBytes: Int64 = 0
    private var decided: FetchPlan.Continuation?

    init(path: String) throws {
        self.path = path
        file = try File.openForWriting(path, create: true, mode: 0o640)
        next = Int64(try ResultFetcher.sum(try File.openForReading(path), into: &hasher))
    }

    /// Where the next byte goes: the bytes already there.
    var offset: Int64 { lock.withLock { next } }
    /// The bytes of this answer's body written so far.
    var received: Int64 { lock.withLock { bodyBytes } }
    /// What the answer's head meant; nil until it came.
    var continuation: FetchPlan.Continuation? { lock.withLock { decided } }

    func begin(_ head: HTTPExchange.DownloadHead) -> HTTPExchange.BodyDecision {
        lock.withLock {
            let continuation = FetchPlan.continuation(requestedOffset: next, head: head)
            decided = continuation
            switch continuation {
            case .append: return .take
            case .restart:
                guard (try? file.truncate(to: 0)) != nil else {
                    decided = .refuse("cannot truncate \(path)")
                    return .refuse
                }
                hasher = SHA256()
                next = 0
                return .take
            case .complete, .discardPartial, .refuse: return .refuse
            }
        }
    }

    func write(_ bytes: [UInt8]) throws {
        try lock.withLock {
            try file.write(bytes, at: Int(next))
            hasher.update(data: bytes)
            next += Int64(bytes.count)
            bodyBytes += Int64(bytes.count)
        }
    }

    /// Syncs and closes it; its size and SHA-256.
    func finish() throws -> (size: Int64, sha256: String) {
        try lock.withLock {
            try file.sync()
            file.close()
            return (next, ResultFetcher.hex(hasher.finalize()))
        }
    }
}
