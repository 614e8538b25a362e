import ArgumentParser
import TaskhookCore
import TaskhookState

/// What `submit` and `expect` tell taskhookd about a task besides where it runs: by when it must
/// end, and the caller's own tags and id.
struct ExpectationOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "End it failed if no callback or status has ended it by then: a duration from now (6h) or a time "
                + "(2025-01-31T12:00Z). Default: submit 6h, expect taskhookd's (24h).",
            valueName: "when"))
    var deadline: DeadlineArgument?

    @Option(
        name: .customLong("label"),
        help: ArgumentHelp("A tag of yours, NAME=VALUE (repeatable).", valueName: "name=value"))
    var labels: [LabelArgument] = []

    @Option(help: ArgumentHelp("Your own id for the task.", valueName: "id"))
    var externalID: String?

    var labelList: [Expectation.Label] { ExpectRecord.labels(labels.map { ($0.name, $0.value) }) }
}
