import ArgumentParser

struct JournalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "journal",
        abstract: "Read and check a journal directory offline (read-only; safe while the daemon runs).",
        subcommands: [JournalVerify.self, JournalDump.self, JournalStats.self])
}

struct JournalDirectoryOption: ParsableArguments {
    @Option(name: .customLong("dir"), help: ArgumentHelp("The journal directory.", valueName: "directory"))
    var directory: String
}
