/// How many tasks each provider identity has. There are a handful of identities, so they are a
/// short list whose names are compared as bytes with a packed task's own: counting a task makes
/// no String and hashes nothing, where a dictionary by name did both for each of a replay's
/// million new tasks (5% of the replay, perf).
public struct ProviderCounts: Sendable, Equatable {
    private struct Entry: Sendable {
        var name: String
        var utf8: [UInt8]
        var count: Int
    }

    private var entries: [Entry] = []

    public init() {}

    /// Counts `task` in (`delta` 1) or out (-1); an identity left with none is dropped.
    mutating func add(_ task: PackedTask, _ delta: Int) {
        if let index = entries.firstIndex(where: { task.hasProvider($0.utf8) }) {
            entries[index].count += delta
            if entries[index].count == 0 { entries.remove(at: index) }
        } else {
            let name = task.provider
            entries.append(Entry(name: name, utf8: Array(name.utf8), count: delta))
        }
    }

    /// The identities with at least one task, in no order.
    public var names: [String] { entries.map(\.name) }

    public var dictionary: [String: Int] {
        Dictionary(uniqueKeysWithValues: entries.map { ($0.name, $0.count) })
    }

    /// The same counts, whatever order the identities first came in.
    public static func == (a: Self, b: Self) -> Bool { a.dictionary == b.dictionary }
}
