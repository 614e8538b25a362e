/// A task's status, normalized across providers.
public enum TaskStatus: String, Sendable, Hashable, CaseIterable, Codable {
    case created
    case inProgress = "in_progress"
    case completed
    case failed
    case canceled

    /// No further status change is expected.
    public var isTerminal: Bool {
        switch self {
        case .completed, .failed, .canceled: true
        case .created, .inProgress: false
        }
    }

    /// How far along the lifecycle a status is; a task never moves to a lower rank.
    package var rank: Int {
        switch self {
        case .created: 0
        case .inProgress: 1
        case .completed, .failed, .canceled: 2
        }
    }
}
