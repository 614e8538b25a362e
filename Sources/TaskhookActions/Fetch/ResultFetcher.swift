import Crypto
import Foundation
import TaskhookClient
import TaskhookPosix

/// The built-in `fetch` action: every result URL of a task downloaded into its directory through
/// the command line's HTTP client (`HTTPExchange.download`, URLSession). Each file is written to
/// a partial file beside it, synced, then renamed into place and the directory synced, so a name
/// that exists is a whole download. A partial file left by a failed attempt or a crash is
/// continued with a Range request. Sizes and SHA-256 sums go into the outcome and into
/// `SHA256SUMS` in the task's directory (`sha256sum -c SHA256SUMS` checks them). A result whose
/// file exists already is not downloaded again, only summed. Files are created 0640 and
/// directories 0750 (less the umask): readable by the runner's group.
public enum ResultFetcher {
    public static func fetch(_ end: TaskEnd, directory: String, timeout: Duration) -> AttemptOutcome {
        let started = Instant.now()
        let deadline = started + timeout
        var files: [FetchedFile] = []
        let targets = FetchPlan.targets(directory: directory, end: end)
        func outcome(_ kind: AttemptOutcome.Kind, _ error: String? = nil) -> AttemptOutcome {
            AttemptOutcome(
                kind: kind, durationMilliseconds: (Instant.now() - started).milliseconds, error: error, files: files)
        }
        guard let first = targets.first else { return outcome(.succeeded) }
        let taskDirectory = (first.path as NSString).deletingLastPathComponent
        do {
            try FileSystem.createDirectories(taskDirectory, mode: 0o750)
        } catch {
            return outcome(.failed, "cannot create \(taskDirectory): \(error)")
        }
        for target in targets {
            if let refusal = FetchPlan.refusal(of: target.url) { return outcome(.failed, refusal) }
            let left = deadline - Instant.now()
            guard left > .zero else { return outcome(.timedOut, "not finished within \(timeout)") }
            do {
                files.append(try fetch(target, timeout: left))
            } catch let error as FetchError {
                return outcome(error.timedOut ? .timedOut : .failed, "\(target.url): \(error.reason)")
            } catch {
                return outcome(.failed, "\(target.url): \(error)")
            }
        }
        do {
            try FileSystem.replaceAtomically(
                taskDirectory + "/SHA256SUMS", with: Array(FetchPlan.checksumList(files).utf8), mode: 0o640)
        } catch {
            return outcome(.failed, "cannot write \(taskDirectory)/SHA256SUMS: \(error)")
        }
        return outcome(.succeeded)
    }

    struct FetchError: Error {
        var reason: String
        var timedOut = false
    }

    /// One result: summed if its file exists, else downloaded (resumed) into its partial file and
    /// renamed into place.
    static func fetch(_ target: FetchPlan.Target, timeout: Duration) throws -> FetchedFile {
        if FileSystem.exists(target.path) {
            let file = try File.openForReading(target.path)
            defer { file.close() }
            var hasher = SHA256()
            let size = try sum(file, into: &hasher)
            return FetchedFile(url: target.url, path: target.path, size: Int64(size), sha256: hex(hasher.finalize()))
        }
        let partial = try PartialFile(path: target.partialPath)
        let head: HTTPExchange.DownloadHead
        do {
            head = try HTTPExchange.download(
                URL(string: target.url)!, headers: FetchPlan.headers(resumingAt: partial.offset), timeout: timeout,
                head: { partial.begin($0) }, body: { try partial.write($0) })
        } catch let error as HTTPExchange.Unreachable {
            throw FetchError(reason: error.description, timedOut: error.description.contains("not finished within"))
        }
        switch partial.continuation {
        case .append?, .restart?:
            if let length = FetchPlan.bodyLength(head), partial.received != length {
                throw FetchError(reason: "the answer ended after \(partial.received) of \(length) bytes")
            }
        case .complete?: break
        case .discardPartial(let reason)?:
            try? FileSystem.remove(target.partialPath)
            throw FetchError(reason: reason + "; the partial file is deleted, the next attempt starts over")
        case .refuse(let reason)?:
            throw FetchError(reason: reason)
        case nil:
            throw FetchError(reason: "no answer")
        }
        let (size, digest) = try partial.finish()
        try FileSystem.rename(target.partialPath, to: target.path)
        try FileSystem.syncDirectory((target.path as NSString).deletingLastPathComponent)
        return FetchedFile(url: target.url, path: target.path, size: size, sha256: digest)
    }

    /// Reads `file` from the start into `hasher`; returns its size.
    static func sum(_ file: File, into hasher: inout SHA256) throws -> Int {
        var offset = 0
        while true {
            let chunk = try file.read(count: 1 << 20, at: offset)
            if chunk.isEmpty { return offset }
            hasher.update(data: chunk)
            offset += chunk.count
        }
    }

    static func hex(_ digest: SHA256.Digest) -> String { digest.map { String(format: "%02x", $0) }.joined() }
}
