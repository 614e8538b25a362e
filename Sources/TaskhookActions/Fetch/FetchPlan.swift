import Crypto
import Foundation
import TaskhookClient

/// Where a fetch puts a task's results and how it reads the answers, as pure functions: the
/// file names, the Range request that resumes a partial file, and what an answer means for it.
public enum FetchPlan {
    /// One result URL and the files it becomes.
    public struct Target: Sendable, Equatable {
        public var url: String
        /// `DIRECTORY/PROVIDER/TASK-ID/NAME`, NAME from the URL's last path segment.
        public var path: String
        /// `.NAME.partial` beside it: the download so far, resumed from its size.
        public var partialPath: String
    }

    /// What a download answer means for the partial file of `offset` bytes it asked to continue.
    public enum Continuation: Sendable, Equatable {
        /// The body continues the partial file (a 206 from `offset`, or a 200 for an empty one).
        case append
        /// The server sent the whole file (it ignores Range): start the partial file over.
        case restart
        /// The partial file is already the whole file (416 naming its size).
        case complete
        /// The partial file does not match what the server has: delete it; the next attempt starts over.
        case discardPartial(String)
        case refuse(String)
    }

    /// The files for `end`'s results under `directory`. Provider, task id and name are each
    /// one path segment (anything but letters, digits and `._~-` percent-encoded, a leading dot
    /// too), so no result escapes the task's directory and different ids never share one.
    public static func targets(directory: String, end: TaskEnd) -> [Target] {
        let taskDirectory = directory + "/" + segment(end.provider) + "/" + segment(end.taskID)
        var used: Set<String> = []
        var targets: [Target] = []
        for (index, url) in end.results.enumerated() {
            var name = segment(URL(string: url)?.lastPathComponent ?? "")
            if name.isEmpty || name == "%2F" { name = "result" }
            if used.contains(name) { name = "\(index + 1)-\(name)" }
            used.insert(name)
            targets.append(
                Target(
                    url: url, path: taskDirectory + "/" + name, partialPath: taskDirectory + "/." + name + ".partial"))
        }
        return targets
    }

    /// `text` as one file name: injective, never `.`-led, at most 200 bytes (a longer one keeps
    /// its first 180 and a hash of the whole).
    static func segment(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "-"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: ".") where !out.isEmpty:
                out.append(".")
            default:
                out += "%" + (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: true)
            }
        }
        guard out.utf8.count > 200 else { return out }
        let digest = SHA256.hash(data: Array(text.utf8)).map { String(format: "%02x", $0) }.joined()
        return String(decoding: out.utf8.prefix(180), as: UTF8.self) + "-" + digest.prefix(16)
    }

    /// Why `url` is not fetched, if it is not: only http and https (a callback naming
    /// `file:///etc/shadow` must not make the runner copy it).
    public static func refusal(of url: String) -> String? {
        guard let parsed = URL(string: url), let scheme = parsed.scheme?.lowercased() else {
            return "not a URL: \(url)"
        }
        guard scheme == "http" || scheme == "https" else { return "only http and https URLs are fetched, not \(url)" }
        return parsed.host?.isEmpty == false ? nil : "not a URL: \(url)"
    }

    /// The request headers that continue a partial file of `offset` bytes.
    public static func headers(resumingAt offset: Int64) -> [(String, String)] {
        offset > 0 ? [("Range", "bytes=\(offset)-")] : []
    }

    public static func continuation(requestedOffset offset: Int64, head: HTTPExchange.DownloadHead) -> Continuation {
        switch head.status {
        case 200:
            return offset == 0 ? .append : .restart
        case 206:
            guard let range = head.headers["content-range"], let start = contentRangeStart(range) else {
                return .discardPartial("a 206 answer without a usable Content-Range")
            }
            return start == offset
                ? .append : .discardPartial("asked for bytes from \(offset), got \(range)")
        case 416:
            if let range = head.headers["content-range"], range.hasPrefix("bytes */"),
                Int64(range.dropFirst("bytes */".count)) == offset
            {
                return .complete
            }
            return .discardPartial("the server has no bytes from \(offset) on (416)")
        default:
            return .refuse("answered \(head.status)")
        }
    }

    /// The first byte of `bytes START-END/TOTAL`.
    static func contentRangeStart(_ text: String) -> Int64? {
        guard text.hasPrefix("bytes ") else { return nil }
        let range = text.dropFirst("bytes ".count).prefix { $0 != "/" }
        guard let dash = range.firstIndex(of: "-") else { return nil }
        return Int64(range[..<dash])
    }

    /// The body's expected size from `Content-Length`, if the server sent one.
    public static func bodyLength(_ head: HTTPExchange.DownloadHead) -> Int64? {
        head.headers["content-length"].flatMap { Int64($0) }
    }

    /// `sha256sum -c` reads this: one `HEX  NAME` line per file.
    public static func checksumList(_ files: [FetchedFile]) -> String {
        files.map { "\($0.sha256)  \(($0.path as NSString).lastPathComponent)\n" }.joined()
    }
}
