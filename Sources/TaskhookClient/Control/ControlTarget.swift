/// The control API's request targets (path and query), every value percent-encoded.
public enum ControlTarget {
    /// One task; with `wait`, a long poll the daemon holds up to that many seconds.
    public static func task(_ id: String, wait seconds: Int? = nil) -> String {
        "/v1/tasks/\(id.percentEncoded)" + (seconds.map { "?wait=\($0)" } ?? "")
    }

    /// A page of the task listing; `query` in the order given.
    public static func tasks(_ query: [(name: String, value: String)]) -> String {
        "/v1/tasks?" + query.map { "\($0.name)=\($0.value.percentEncoded)" }.joined(separator: "&")
    }

    /// The authentic callbacks no profile reads yet.
    public static let unparsed = "/v1/unparsed"

    /// The event stream from after `since`, optionally one task's only.
    public static func events(since: UInt64, follow: Bool, task: String?) -> String {
        "/v1/events?since=\(since)&follow=\(follow)" + (task.map { "&task=\($0.percentEncoded)" } ?? "")
    }

    /// Where expected tasks are registered (`taskhook expect`, `submit`): POST.
    public static let expect = "/v1/tasks"

    /// Where a status read's finding about `ref` (`provider:id`) is handed over: POST.
    public static func observations(_ ref: String) -> String { "/v1/tasks/\(ref.percentEncoded)/observations" }

    /// A page of the expected, non-terminal tasks the reconciler polls.
    public static func expected(limit: Int, after cursor: String?) -> String {
        "/v1/expected?limit=\(limit)" + (cursor.map { "&after=\($0.percentEncoded)" } ?? "")
    }
}
