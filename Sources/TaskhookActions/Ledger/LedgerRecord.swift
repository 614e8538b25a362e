import TaskhookCore

/// One line of the actions ledger (JSON, one object a line). `started` is written and synced
/// before an attempt starts, `finished` after it ends, `cursor` when every task end up to a
/// journal sequence has been dealt with.
public enum LedgerRecord: Sendable, Equatable {
    case cursor(UInt64)
    /// Carries the task end, so an attempt interrupted by a crash can be run again even once the
    /// event stream no longer has it.
    case started(JobKey, attempt: Int, time: Int64, end: TaskEnd)
    /// `final`: nothing more will be tried for this job.
    case finished(JobKey, attempt: Int, time: Int64, outcome: AttemptOutcome, final: Bool)

    public var json: JSON {
        switch self {
        case .cursor(let sequence):
            return ["kind": "cursor", "sequence": .integer(sequence)]
        case .started(let key, let attempt, let time, let end):
            return .object(
                [("kind", "started")] + Self.members(key, attempt, time) + [("event", end.json)])
        case .finished(let key, let attempt, let time, let outcome, let final):
            guard case .object(let result) = outcome.json else { return .null }
            return .object(
                [("kind", "finished")] + Self.members(key, attempt, time) + [("final", .bool(final))] + result)
        }
    }

    private static func members(_ key: JobKey, _ attempt: Int, _ time: Int64) -> [(key: String, value: JSON)] {
        [
            ("sequence", .integer(key.sequence)), ("task", .string(key.task)), ("action", .string(key.action)),
            ("attempt", .integer(attempt)), ("time", .integer(time)),
        ]
    }

    /// One line's record; nil when it is not one (a torn or damaged line).
    public static func parse(_ line: [UInt8]) -> LedgerRecord? {
        guard let json = try? JSON.parse(line), let kind = json["kind"]?.string,
            let sequenceText = json["sequence"]?.numberText, let sequence = UInt64(sequenceText)
        else { return nil }
        if kind == "cursor" { return .cursor(sequence) }
        guard let task = json["task"]?.string, let action = json["action"]?.string,
            let attempt = json["attempt"]?.int64, attempt > 0, let time = json["time"]?.int64
        else { return nil }
        let key = JobKey(sequence: sequence, task: task, action: action)
        switch kind {
        case "started":
            guard let event = json["event"], let end = try? TaskEnd.parse(event) else { return nil }
            return .started(key, attempt: Int(attempt), time: time, end: end)
        case "finished":
            guard let final = json["final"]?.bool, let outcome = AttemptOutcome.parse(json) else { return nil }
            return .finished(key, attempt: Int(attempt), time: time, outcome: outcome, final: final)
        default:
            return nil
        }
    }

    /// The job it is about, if any.
    var job: JobKey? {
        switch self {
        case .cursor: nil
        case .started(let key, _, _, _), .finished(let key, _, _, _, _): key
        }
    }
}
