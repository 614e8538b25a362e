import ArgumentParser

@main
struct Taskhook: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "taskhook",
        abstract: "Look at taskhook's journal, and (soon) wait for tasks, from the command line.",
        subcommands: [JournalCommand.self])
}

/// Exit statuses shared by the subcommands (sysexits.h where one fits).
enum ExitStatus {
    static let problems = ExitCode(1)
    static let usage = ExitCode(64)
    static let unavailable = ExitCode(69)
    static let ioError = ExitCode(74)
}
