import TaskhookCore

/// A provider's status words and the statuses they mean, read in both directions: a callback's word
/// to a status (normalizing), and a status to the word the provider writes for it (test callbacks).
public struct StatusWords: Sendable {
    /// In the provider's order; a status may have several words (the first is the one written).
    public let pairs: [(word: String, status: TaskStatus)]

    public init(_ pairs: KeyValuePairs<String, TaskStatus>) {
        self.pairs = pairs.map { ($0.key, $0.value) }
    }

    public init(_ pairs: [(word: String, status: TaskStatus)]) {
        self.pairs = pairs
    }

    /// What `word` means; nil for a word the provider does not use.
    public func status(for word: String) -> TaskStatus? {
        pairs.first { $0.word == word }?.status
    }

    /// The word the provider writes for `status`; nil when it never sends it (fal has no `created`).
    public func word(for status: TaskStatus) -> String? {
        pairs.first { $0.status == status }?.word
    }

    /// Every word, in order.
    public var words: [String] { pairs.map(\.word) }
}

extension StatusWords {
    /// The word for `status`, or an error saying `provider` has none.
    func requireWord(for status: TaskStatus, provider: String) throws(ProviderConfigurationError) -> String {
        guard let word = word(for: status) else {
            throw ProviderConfigurationError("\(provider) has no status \(status.rawValue)")
        }
        return word
    }
}
