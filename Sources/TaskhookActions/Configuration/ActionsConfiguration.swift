/// The `actions:` section of taskhook.yaml, as `taskhook actions run` reads it.
public struct ActionsConfiguration: Sendable, Equatable {
    /// Attempts running at once, all actions together.
    public var concurrency = 4
    /// On the very first start (no ledger yet): also act on the tasks taskhookd already holds.
    /// Off: only tasks that end from then on, so enabling actions on a daemon with a month of
    /// history does not run them for every old task.
    public var backfill = false
    public var actions: [ActionDefinition] = []
    /// The daemon's `control.socket`, when the file names one: where the runner connects unless
    /// told otherwise.
    public var controlSocket: String?

    public init(actions: [ActionDefinition] = []) {
        self.actions = actions
    }

    public func action(named name: String) -> ActionDefinition? { actions.first { $0.name == name } }
}
