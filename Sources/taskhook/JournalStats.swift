import ArgumentParser
import TaskhookCore
import TaskhookJournal
import TaskhookState

struct JournalStats: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats", abstract: "Summarize a journal: records by kind, size, checkpoint, tasks by status.")

    @OptionGroup var options: JournalDirectoryOption

    func run() throws {
        let directory = JournalDirectory(path: options.directory)
        var table = TaskTable()
        let report: JournalDirectory.Report
        do {
            report = try directory.verify { record in _ = try? JournalReplay.apply(record, to: &table) }
        } catch {
            printError("taskhook journal stats: \(error)")
            throw ExitStatus.ioError
        }
        let checkpoint = try? Checkpoint.latest(in: directory)
        print("segments:   \(report.segments) (\(report.bytes) bytes)")
        print(
            "records:    \(report.records)  (sequences \(report.firstSequence.map(String.init) ?? "-")…\(report.lastSequence.map(String.init) ?? "-"))"
        )
        for kind in RecordKind.allCases {
            print("  \(kind.description.padding(10)) \(report.recordsByKind[kind.description] ?? 0)")
        }
        print("checkpoint: \(checkpoint.map { "covers \($0.sequence)" } ?? "none")")
        print("tasks:      \(table.count)")
        for status in TaskStatus.allCases {
            let count = table.count(withStatus: status)
            print("  \(status.rawValue.padding(10)) \(count)")
        }
        if !report.isClean {
            for problem in report.problems { printError("DAMAGED: \(problem)") }
            throw ExitStatus.problems
        }
    }
}

extension String {
    func padding(_ width: Int) -> String { self + String(repeating: " ", count: max(0, width - count)) }
}
