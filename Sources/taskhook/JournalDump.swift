import ArgumentParser
import Foundation
import TaskhookCore
import TaskhookJournal
import TaskhookState

struct JournalDump: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dump",
        abstract: "Print every record as one JSON object a line.",
        discussion: """
            Fields: seq, time (ms since the epoch), kind, route, provider, delivery_id, peer (the sender's \
            address: the proxy's, or the client's a trusted proxy forwarded), task_id, status, \
            results, error, applied (whether it changed the task: false for a late or repeated report), body \
            (the raw callback body as text; body_base64 instead when it is not UTF-8). \
            A delivery with several events prints one line per event; an unparsed one has a note instead. \
            An observation (a status read by taskhook reconcile) prints as a delivery does; expect and \
            deadline records print their members (provider, id, registration, endpoint, deadline, …).
            """)

    @OptionGroup var options: JournalDirectoryOption

    @Option(help: "Only records after this sequence.")
    var since: UInt64 = 0

    func run() throws {
        var output = StandardOutput()
        // Replayed alongside, so each line can say whether its event changed the task.
        var table = TaskTable()
        let report: JournalDirectory.Report
        do {
            report = try JournalDirectory(path: options.directory).verify { record in
                let outcomes = (try? JournalReplay.apply(record, to: &table))?.map { $0.1 } ?? []
                guard record.sequence > since else { return }
                for line in Self.lines(for: record.record, outcomes: outcomes) { output.write(line.text + "\n") }
            }
        } catch {
            printError("taskhook journal dump: \(error)")
            throw ExitStatus.ioError
        }
        output.flush()
        for problem in report.problems { printError("DAMAGED: \(problem)") }
        if !report.isClean { throw ExitStatus.problems }
    }

    static func lines(for record: JournalRecord, outcomes: [TaskTable.Outcome] = []) -> [JSON] {
        let head: [(String, JSON)] = [
            ("seq", .integer(record.sequence)), ("time", .integer(record.time)),
            ("kind", .string(record.kind.description)),
        ]
        switch record.kind {
        case .delivery, .unparsed, .observation:
            guard let delivery = try? Delivery(decoding: record.body) else {
                return [.object(head + [("error", "unreadable delivery body")])]
            }
            let common: [(String, JSON)] = [
                ("route", .string(delivery.route)), ("provider", .string(delivery.provider)),
                ("delivery_id", .optional(delivery.deliveryID)), ("peer", .string(delivery.remoteAddress)),
            ]
            let body: (String, JSON) =
                String(validating: delivery.body, as: UTF8.self).map { ("body", .string($0)) }
                ?? ("body_base64", .string(Data(delivery.body).base64EncodedString()))
            guard !delivery.events.isEmpty else {
                return [
                    .object(
                        head + common + [
                            ("task_id", .null), ("status", .null), ("note", .optional(delivery.note)), body,
                        ])
                ]
            }
            return delivery.events.enumerated().map { index, event in
                .object(
                    head + common + [
                        ("task_id", .string(event.taskID)), ("status", .string(event.status.rawValue)),
                        ("results", .array(event.results.map { .string($0) })), ("error", .optional(event.error)),
                        ("applied", index < outcomes.count ? .bool(outcomes[index].changedTask) : .null), body,
                    ])
            }
        case .checkpoint:
            var covered: UInt64 = 0
            for (i, byte) in record.body.prefix(8).enumerated() { covered |= UInt64(byte) << (8 * UInt64(i)) }
            return [.object(head + [("covers", .integer(covered))])]
        case .expect, .deadline:
            // Their bodies are JSON objects (`ExpectRecord`, `DeadlineRecord`): shown as such.
            guard case .object(let members)? = try? JSON.parse(record.body) else {
                return [.object(head + [("body", .string(String(decoding: record.body, as: UTF8.self)))])]
            }
            let outcome: [(String, JSON)] =
                record.kind == .deadline && !outcomes.isEmpty ? [("applied", .bool(outcomes[0].changedTask))] : []
            return [.object(head + members.map { ($0.key, $0.value) } + outcome)]
        case .forget:
            return [
                .object(
                    head + [
                        ("last_heard_before", JournalReplay.forgetCutoff(record.body).map { .integer($0) } ?? .null)
                    ])
            ]
        }
    }
}
