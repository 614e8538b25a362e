import Foundation
import TaskhookClient
import TaskhookCore
import TaskhookPosix

/// `taskhook actions list`: the ledger's jobs as rows, newest first, as a table or JSON lines.
public enum OutcomeListing {
    /// One job as the listing shows it.
    public struct Row: Sendable, Equatable {
        public var key: JobKey
        /// `succeeded`, `failed`, `timed-out`, `abandoned` (final); `retrying` (a failed attempt,
        /// another to come); `started` (running, or the runner died in it and will run it again).
        public var state: String
        public var attempts: Int
        /// Of its newest attempt that ended.
        public var exitStatus: Int32?
        public var durationMilliseconds: Int64?
        public var error: String?
        public var files: [FetchedFile]
        /// Its newest record's time, Unix milliseconds.
        public var time: Int64
    }

    /// The `limit` newest jobs, optionally only those of one task (`provider:id` or a bare id)
    /// or only those that did not succeed.
    public static func rows(_ ledger: ActionLedger, limit: Int, task: String? = nil, unsuccessfulOnly: Bool = false)
        -> [Row]
    {
        var rows: [Row] = []
        for (key, job) in ledger.jobs {
            if let task, key.task != task, TaskKey(qualified: key.task)?.id != task { continue }
            let finish = job.lastFinish
            let state: String
            if job.isFinal {
                state = finish?.outcome.kind.rawValue ?? "abandoned"
            } else {
                state = job.lastAttemptInterrupted ? "started" : "retrying"
            }
            if unsuccessfulOnly && state == AttemptOutcome.Kind.succeeded.rawValue { continue }
            let time = max(finish?.time ?? 0, job.lastStart?.time ?? 0)
            rows.append(
                Row(
                    key: key, state: state, attempts: job.starts, exitStatus: finish?.outcome.exitStatus,
                    durationMilliseconds: finish?.outcome.durationMilliseconds, error: finish?.outcome.error,
                    files: finish?.outcome.files ?? [], time: time))
        }
        return Array(rows.sorted { ($0.time, $0.key) > ($1.time, $1.key) }.prefix(limit))
    }

    /// A table with a header row, the last error last (it may be long).
    public static func table(_ rows: [Row]) -> String {
        let cells: [[String]] =
            [["TIME", "ACTION", "TASK", "ATTEMPTS", "OUTCOME", "EXIT", "DURATION", "LAST ERROR"]]
            + rows.map { row in
                [
                    TimeText.iso(milliseconds: row.time), row.key.action, row.key.task, String(row.attempts), row.state,
                    row.exitStatus.map(String.init) ?? "-",
                    row.durationMilliseconds.map { TimeText.elapsed(.milliseconds($0)) } ?? "-",
                    (row.error ?? "").replacingOccurrences(of: "\n", with: " "),
                ]
            }
        let widths = (0..<7).map { column in cells.map { $0[column].count }.max() ?? 0 }
        return cells.map { row in
            var line = (0..<7).map { row[$0].padding(toLength: widths[$0] + 2, withPad: " ", startingAt: 0) }.joined()
            line += row[7]
            while line.hasSuffix(" ") { line.removeLast() }
            return line + "\n"
        }.joined()
    }

    public static func json(_ row: Row) -> JSON {
        var members: [(key: String, value: JSON)] = [
            ("time", .integer(row.time)), ("action", .string(row.key.action)), ("task", .string(row.key.task)),
            ("sequence", .integer(row.key.sequence)), ("attempts", .integer(row.attempts)),
            ("outcome", .string(row.state)),
            ("exit_status", row.exitStatus.map { .integer($0) } ?? .null),
            ("duration_ms", row.durationMilliseconds.map { .integer($0) } ?? .null), ("error", .optional(row.error)),
        ]
        if !row.files.isEmpty {
            members.append(("files", .array(row.files.map(\.json))))
        }
        return .object(members)
    }
}
