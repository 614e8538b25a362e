import ArgumentParser

@main
struct Taskhook: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "taskhook",
        abstract:
            "taskhook from the command line: start tasks (or simulate a provider), register tasks started "
            + "elsewhere, reconcile them by polling, wait for them, look at them, send a signed test callback, "
            + "fetch keys, read the journal, act when tasks end.",
        subcommands: [
            SubmitCommand.self, ExpectCommand.self, ReconcileCommand.self, SimulateCommand.self, WaitCommand.self,
            StatusCommand.self, TasksCommand.self,
            EventsCommand.self, OnCommand.self, ActionsCommand.self, SendTest.self,
            JWKSCommand.self,
            JournalCommand.self,
        ])
}

/// Exit statuses shared by the subcommands (sysexits.h where one fits).
enum ExitStatus {
    static let problems = ExitCode(1)
    static let usage = ExitCode(64)
    /// The data is refused: a request breaking its schema, a registration the daemon will not take.
    static let dataError = ExitCode(65)
    static let unavailable = ExitCode(69)
    static let ioError = ExitCode(74)
    static let configuration = ExitCode(78)
    /// As timeout(1) does.
    static let timedOut = ExitCode(124)
}
