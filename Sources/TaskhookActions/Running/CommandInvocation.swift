import TaskhookCore

/// What a command action is started with for one task: its argument vector, its whole
/// environment and its standard input. Built from values alone, so what a command sees is
/// tested without running one.
///
/// The environment holds PATH, the variables `pass-environment` names (from the runner's own
/// environment), those `environment` sets, and the task:
///
///     TASK_ID  TASK_STATUS  TASK_PROVIDER  TASK_KEY (provider:id)  TASK_SEQUENCE (journal)
///     TASK_RESULT_URL (the first result, or empty)  TASK_RESULT_URLS (every result, one a line)
///     TASK_ERROR (or empty)  TASK_EXTERNAL_ID (the caller's own id, where the provider echoes one)
///     ACTION_NAME  ACTION_ATTEMPT (1 for the first)
///
/// Nothing else of the runner's environment reaches it. Standard input is the task's JSON as
/// `GET /v1/tasks/{key}` answers it (the event's JSON if the daemon could not be asked), and a
/// newline.
public struct CommandInvocation: Sendable, Equatable {
    public var arguments: [String]
    /// `NAME=value`, sorted by name.
    public var environment: [String]
    public var input: [UInt8]

    /// Variable names the runner sets for each task; `environment:` may not set them.
    public static let reservedPrefixes = ["TASK_", "ACTION_"]
    /// PATH when neither the action nor the runner has one.
    public static let defaultPath = "/usr/local/bin:/usr/bin:/bin"

    public init(
        arguments: [String], environment extra: [String: String], passEnvironment: [String], end: TaskEnd,
        task: JSON?, action: String, attempt: Int, runnerEnvironment: [String: String]
    ) {
        self.arguments = arguments
        var variables: [String: String] = ["PATH": runnerEnvironment["PATH"] ?? Self.defaultPath]
        for name in passEnvironment { if let value = runnerEnvironment[name] { variables[name] = value } }
        variables.merge(extra) { $1 }
        variables["TASK_ID"] = end.taskID
        variables["TASK_STATUS"] = end.status.rawValue
        variables["TASK_PROVIDER"] = end.provider
        variables["TASK_KEY"] = end.key.description
        variables["TASK_SEQUENCE"] = String(end.sequence)
        variables["TASK_RESULT_URL"] = end.results.first ?? ""
        variables["TASK_RESULT_URLS"] = end.results.joined(separator: "\n")
        variables["TASK_ERROR"] = end.error ?? ""
        variables["TASK_EXTERNAL_ID"] = task?["external_id"]?.string ?? ""
        variables["ACTION_NAME"] = action
        variables["ACTION_ATTEMPT"] = String(attempt)
        environment = variables.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        input = (task ?? end.json).bytes + [UInt8(ascii: "\n")]
    }
}
