import ArgumentParser
import TaskhookJournal

struct JournalVerify: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check every record's checksum and sequence. Exit 0 if clean, 1 if damaged.")

    @OptionGroup var options: JournalDirectoryOption

    func run() throws {
        let report: JournalDirectory.Report
        do {
            report = try JournalDirectory(path: options.directory).verify()
        } catch {
            printError("taskhook journal verify: \(error)")
            throw ExitStatus.ioError
        }
        let range = report.firstSequence.map { "\($0)…\(report.lastSequence ?? $0)" } ?? "none"
        print("\(report.segments) segment(s), \(report.records) record(s), sequences \(range)")
        if let torn = report.tornTail {
            print(
                "note: incomplete last record (a write in progress, or a torn write the daemon drops on start): \(torn)"
            )
        }
        for problem in report.problems { print("DAMAGED: \(problem)") }
        if !report.isClean { throw ExitStatus.problems }
        print("clean")
    }
}
