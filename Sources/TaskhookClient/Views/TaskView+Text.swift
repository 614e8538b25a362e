import Foundation
import TaskhookCore

extension TaskView {
    /// The task for a person, one labelled line per fact (`taskhook status`).
    public var summary: String {
        var lines: [(String, String)] = [("task", id), ("provider", provider ?? "-"), ("status", status ?? "-")]
        if let externalID { lines.insert(("external id", externalID), at: 2) }
        let results = results ?? []
        lines.append(("results", results.first ?? "-"))
        lines += results.dropFirst().map { ("", $0) }
        lines.append(("error", error ?? "-"))
        lines.append(("first seen", firstSeen.map(TimeText.iso(milliseconds:)) ?? "-"))
        lines.append(("updated", updated.map(TimeText.iso(milliseconds:)) ?? "-"))
        if let expected {
            lines.append(("endpoint", expected.endpoint ?? "- (not polled)"))
            if let url = expected.statusURL { lines.append(("status url", url)) }
            lines.append(("deadline", TimeText.iso(milliseconds: expected.deadline)))
            let labels = expected.labels.map { "\($0.name)=\($0.value)" }
            if !labels.isEmpty { lines.append(("labels", labels.joined(separator: " "))) }
        }
        let deliveries = (deliveries ?? []).map { delivery in
            "#\(delivery.sequence) \(TimeText.iso(milliseconds: delivery.time)) \(delivery.status)"
                + (delivery.source.flatMap { $0 == "callback" ? nil : " (\($0))" } ?? "")
                + (delivery.deliveryID.map { " id=\($0)" } ?? "") + (delivery.applied ? "" : " (not applied)")
        }
        lines.append(("deliveries", deliveries.first ?? "-"))
        lines += deliveries.dropFirst().map { ("", $0) }
        return lines.map { $0.0.padding(toLength: 12, withPad: " ", startingAt: 0) + $0.1 + "\n" }.joined()
    }

    /// Tasks as a table with a header row, columns as wide as their widest cell (`taskhook tasks`).
    public static func table(_ tasks: [TaskView]) -> String {
        let rows: [[String]] =
            [["ID", "PROVIDER", "STATUS", "UPDATED", "RESULT"]]
            + tasks.map { task in
                let results = task.results ?? []
                let result =
                    results.first.map { $0 + (results.count > 1 ? " (+\(results.count - 1))" : "") } ?? task.error ?? ""
                return [
                    task.id, task.provider ?? "-", task.status ?? "-",
                    task.updated.map(TimeText.iso(milliseconds:)) ?? "-", result,
                ]
            }
        let widths = (0..<4).map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            let line = (0..<4).map { row[$0].padding(toLength: widths[$0] + 2, withPad: " ", startingAt: 0) }.joined()
            return line + row[4].replacingOccurrences(of: "\n", with: " ").trimmingCharacters(in: .whitespaces) + "\n"
        }.joined()
    }
}
