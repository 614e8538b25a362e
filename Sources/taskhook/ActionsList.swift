import ArgumentParser
import TaskhookActions
import TaskhookPosix

/// `taskhook actions list`: recent outcomes from the runner's ledger (read-only; safe while it runs).
struct ActionsList: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "Show what actions did: per task and action, attempts, outcome, exit status, duration, last error.",
        discussion: """
            Newest first. Outcomes: succeeded, failed, timed-out, abandoned (final); retrying (another \
            attempt is due); started (running, or interrupted: the runner runs it again once when it \
            restarts). Exit status: 0 listed; 66 no such state directory; 74 the ledger cannot be read.
            """)

    @OptionGroup var state: StateDirectoryOption

    @Option(help: "List at most this many.")
    var limit = 20

    @Option(help: ArgumentHelp("Only this task's (provider:id, or its id).", valueName: "task"))
    var task: String?

    @Flag(help: "Only what did not succeed.")
    var failed = false

    @Flag(help: "One JSON object a line (with the files a fetch wrote).")
    var json = false

    func validate() throws {
        guard limit >= 1 else { throw ValidationError("--limit must be at least 1") }
    }

    func run() throws {
        let directory = state.path
        guard FileSystem.exists(directory) else {
            printError("taskhook actions list: no state directory \(directory) (give --state-dir)")
            throw ExitCode(66)
        }
        let records: [LedgerRecord]
        do {
            records = try LedgerFile.read(path: directory + "/" + LedgerFile.fileName)
        } catch {
            printError("taskhook actions list: \(error)")
            throw ExitStatus.ioError
        }
        let rows = OutcomeListing.rows(ActionLedger(records), limit: limit, task: task, unsuccessfulOnly: failed)
        var output = StandardOutput()
        if json {
            for row in rows { output.write(OutcomeListing.json(row).text + "\n") }
        } else {
            output.write(OutcomeListing.table(rows))
        }
        output.flush()
    }
}
