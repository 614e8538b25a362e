/// Which task a report is about: the provider identity of the route that received it, and the
/// provider's own task id. Ids are unique only within one provider, so two providers (or two
/// `standard-webhooks` routes with different names) that use the same id have two tasks.
///
/// Written `provider:id` where a person or a job names a task; provider identities never hold a
/// colon, so the first colon splits it (an id may hold colons of its own).
public struct TaskKey: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The provider identity: the route's provider name, or a `standard-webhooks` route's `name:`.
    public var provider: String
    /// The provider's task id.
    public var id: String

    public init(provider: String, id: String) {
        self.provider = provider
        self.id = id
    }

    /// `provider:id`.
    public var description: String { "\(provider):\(id)" }

    /// The key a `provider:id` text names, split at its first colon; nil without a colon or with
    /// an empty side.
    public init?(qualified text: String) {
        guard let colon = text.firstIndex(of: ":") else { return nil }
        let provider = String(text[..<colon])
        let id = String(text[text.index(after: colon)...])
        guard !provider.isEmpty, !id.isEmpty else { return nil }
        self.init(provider: provider, id: id)
    }

    public static func < (a: TaskKey, b: TaskKey) -> Bool { (a.provider, a.id) < (b.provider, b.id) }
}
