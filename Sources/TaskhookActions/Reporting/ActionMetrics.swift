/// The runner's counters, written as a Prometheus text file (`actions.prom` in the state
/// directory) for node_exporter's textfile collector: taskhookd's `/metrics` belongs to a
/// process that never hears of actions. Counters count from the runner's start.
public struct ActionMetrics: Sendable, Equatable {
    private var attempts: [String: [AttemptOutcome.Kind: Int]] = [:]
    private var seconds: [String: (sum: Double, count: Int)] = [:]
    public var running = 0
    public var queued = 0
    public var cursor: UInt64 = 0
    public var connected = false
    private let actions: [String]

    public init(actions: [String]) {
        self.actions = actions
        for action in actions {
            attempts[action] = Dictionary(uniqueKeysWithValues: AttemptOutcome.Kind.allCases.map { ($0, 0) })
            seconds[action] = (0, 0)
        }
    }

    public mutating func record(action: String, _ outcome: AttemptOutcome) {
        attempts[action, default: [:]][outcome.kind, default: 0] += 1
        let previous = seconds[action] ?? (0, 0)
        seconds[action] = (previous.sum + Double(outcome.durationMilliseconds) / 1000, previous.count + 1)
    }

    public static func == (a: ActionMetrics, b: ActionMetrics) -> Bool { a.text == b.text }

    public var text: String {
        var out = """
            # HELP taskhook_action_attempts_total Attempts of an action that ended, by outcome, since the runner started.
            # TYPE taskhook_action_attempts_total counter

            """
        for action in actions {
            for kind in AttemptOutcome.Kind.allCases {
                out += "taskhook_action_attempts_total{action=\"\(action)\",outcome=\"\(kind.rawValue)\"} "
                out += "\(attempts[action]?[kind] ?? 0)\n"
            }
        }
        out += """
            # HELP taskhook_action_attempt_seconds How long attempts of an action took.
            # TYPE taskhook_action_attempt_seconds summary

            """
        for action in actions {
            let total = seconds[action] ?? (0, 0)
            out += "taskhook_action_attempt_seconds_sum{action=\"\(action)\"} \(total.sum)\n"
            out += "taskhook_action_attempt_seconds_count{action=\"\(action)\"} \(total.count)\n"
        }
        out += """
            # HELP taskhook_actions_running Attempts running now.
            # TYPE taskhook_actions_running gauge
            taskhook_actions_running \(running)
            # HELP taskhook_actions_queued Jobs waiting for a free slot or out a retry's backoff.
            # TYPE taskhook_actions_queued gauge
            taskhook_actions_queued \(queued)
            # HELP taskhook_actions_cursor_sequence The journal sequence every task end up to which is dealt with.
            # TYPE taskhook_actions_cursor_sequence gauge
            taskhook_actions_cursor_sequence \(cursor)
            # HELP taskhook_actions_connected Whether the runner is reading taskhookd's event stream.
            # TYPE taskhook_actions_connected gauge
            taskhook_actions_connected \(connected ? 1 : 0)

            """
        return out
    }
}
