import TaskhookCore

/// How one attempt of an action ended.
public struct AttemptOutcome: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case succeeded
        /// A non-zero exit, a signal, a download that failed, a command that could not start.
        case failed
        /// Still running at the action's timeout; ended.
        case timedOut = "timed-out"
        /// Not tried again: the runner died twice while it ran (or its action was removed).
        case abandoned
    }

    public var kind: Kind
    /// The command's exit status, 128 + the signal that ended it (as a shell says), if it ran.
    public var exitStatus: Int32?
    public var durationMilliseconds: Int64
    /// Why it failed, in a line: the end of the command's output, or the download's error.
    public var error: String?
    /// What a fetch wrote.
    public var files: [FetchedFile]

    public init(
        kind: Kind, exitStatus: Int32? = nil, durationMilliseconds: Int64 = 0, error: String? = nil,
        files: [FetchedFile] = []
    ) {
        self.kind = kind
        self.exitStatus = exitStatus
        self.durationMilliseconds = durationMilliseconds
        self.error = error
        self.files = files
    }

    public var json: JSON {
        var members: [(key: String, value: JSON)] = [("outcome", .string(kind.rawValue))]
        if let exitStatus { members.append(("exit_status", .integer(exitStatus))) }
        members.append(("duration_ms", .integer(durationMilliseconds)))
        if let error { members.append(("error", .string(error))) }
        if !files.isEmpty { members.append(("files", .array(files.map(\.json)))) }
        return .object(members)
    }

    static func parse(_ json: JSON) -> AttemptOutcome? {
        guard let kind = json["outcome"]?.string.flatMap(Kind.init(rawValue:)),
            let duration = json["duration_ms"]?.int64
        else { return nil }
        var files: [FetchedFile] = []
        for item in json["files"]?.array ?? [] {
            guard let file = FetchedFile.parse(item) else { return nil }
            files.append(file)
        }
        return AttemptOutcome(
            kind: kind, exitStatus: json["exit_status"]?.int64.map { Int32(clamping: $0) },
            durationMilliseconds: duration, error: json["error"]?.string, files: files)
    }
}

/// One result a fetch wrote: where from, where to, how big, its SHA-256.
public struct FetchedFile: Sendable, Equatable {
    public var url: String
    public var path: String
    public var size: Int64
    /// Lower-case hex.
    public var sha256: String

    public init(url: String, path: String, size: Int64, sha256: String) {
        self.url = url
        self.path = path
        self.size = size
        self.sha256 = sha256
    }

    public var json: JSON {
        ["url": .string(url), "path": .string(path), "size": .integer(size), "sha256": .string(sha256)]
    }

    static func parse(_ json: JSON) -> FetchedFile? {
        guard let url = json["url"]?.string, let path = json["path"]?.string, let size = json["size"]?.int64,
            let sha256 = json["sha256"]?.string
        else { return nil }
        return FetchedFile(url: url, path: path, size: size, sha256: sha256)
    }
}
