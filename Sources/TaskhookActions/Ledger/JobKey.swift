/// One action for one task end: the unit the ledger counts attempts of. The journal sequence
/// alone is not enough, since one callback may end several tasks.
public struct JobKey: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var sequence: UInt64
    /// `provider:id`.
    public var task: String
    public var action: String

    public init(sequence: UInt64, task: String, action: String) {
        self.sequence = sequence
        self.task = task
        self.action = action
    }

    public static func < (a: JobKey, b: JobKey) -> Bool {
        (a.sequence, a.task, a.action) < (b.sequence, b.task, b.action)
    }

    public var description: String { "\(action) for \(task) (journal \(sequence))" }
}
