import Foundation
import Glibc
import TaskhookPosix
import TestSupport
import Testing

/// Every line of `taskhook journal dump`, parsed.
func dump(_ journal: String) throws -> [[String: Any]] {
    let result = try DaemonProcess.runCLI(["journal", "dump", "--dir", journal])
    #expect(result.status == 0, "dump failed: \(result.error)")
    return result.output.split(separator: "\n").compactMap {
        try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
    }
}

@Suite struct JournalEndToEndTests {
    @Test func aDeliveryIsAnswered200OnlyOnceDurableAndARetryIsNotJournaledTwice() throws {
        let directory = DaemonProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let config = try unsignedFreepikConfig(directory)
        let daemon = try DaemonProcess(arguments: ["--config", config, "--journal-dir", directory + "/journal"])
        let client = try TestClient(daemon.address)
        try client.send(freepikCallback(id: 1))
        let first = try client.readResponse()
        #expect(first.status == 200)
        #expect(first.text.contains("\"sequence\":1"))
        try client.send(freepikCallback(id: 1))  // the provider retries
        let retry = try client.readResponse()
        #expect(retry.status == 200)
        #expect(retry.text.contains("\"duplicate\":true"))
        try client.send(freepikCallback(id: 2, status: "NOT_A_STATUS"))
        #expect(try client.readResponse().status == 202)  // authentic but not understood: kept as unparsed
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit() == 0)
        let lines = try dump(directory + "/journal")
        #expect(lines.filter { $0["kind"] as? String == "delivery" }.map { $0["delivery_id"] as? String } == ["msg_1"])
        #expect(lines.filter { $0["kind"] as? String == "unparsed" }.count == 1)
        #expect(lines.first?["applied"] as? Bool == true)
        #expect(
            lines.first?["body"] as? String
                == #"{"task_id":"task-1","status":"COMPLETED","generated":["https://cdn.example/1.mp4"]}"#)
        #expect(lines.contains { $0["kind"] as? String == "checkpoint" })  // written at the clean stop
        #expect(try DaemonProcess.runCLI(["journal", "verify", "--dir", directory + "/journal"]).status == 0)
    }

    @Test func aRestartReplaysTheJournalIntoTheTaskTable() throws {
        let directory = DaemonProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let config = try unsignedFreepikConfig(directory)
        let arguments = ["--config", config, "--journal-dir", directory + "/journal"]
        var daemon = try DaemonProcess(arguments: arguments)
        let client = try TestClient(daemon.address)
        for id in 0..<20 {
            try client.send(freepikCallback(id: id))
            #expect(try client.readResponse().status == 200)
        }
        daemon.signal(SIGKILL)
        _ = daemon.waitForExit()
        daemon = try DaemonProcess(arguments: arguments)
        #expect(daemon.log.contains("journal replayed"))
        #expect(daemon.log.contains("tasks=20"))
        // What was applied before is recognised after the restart: a retry is a duplicate.
        let again = try TestClient(daemon.address)
        try again.send(freepikCallback(id: 7))
        #expect(try again.readResponse().text.contains("duplicate"))
    }

    @Test func aJournalDamagedBeforeValidRecordsStopsTheStartNamingFileAndOffset() throws {
        let directory = DaemonProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let config = try unsignedFreepikConfig(directory)
        let arguments = ["--config", config, "--journal-dir", directory + "/journal"]
        let daemon = try DaemonProcess(arguments: arguments)
        let client = try TestClient(daemon.address)
        for id in 0..<5 {
            try client.send(freepikCallback(id: id))
            _ = try client.readResponse()
        }
        daemon.signal(SIGKILL)
        _ = daemon.waitForExit()
        let segment = directory + "/journal/00000000000000000001.journal"
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: segment)))
        bytes[4096 + 36] ^= 0xFF  // inside the first record: frames start after the 4 KiB header page
        try Data(bytes).write(to: URL(fileURLWithPath: segment))
        let refused = #expect(throws: TestClientError.self) {
            try DaemonProcess(arguments: arguments, timeout: .seconds(10))
        }
        #expect(refused?.description.contains("00000000000000000001.journal at byte 4096") == true)
        let verify = try DaemonProcess.runCLI(["journal", "verify", "--dir", directory + "/journal"])
        #expect(verify.status == 1)
        #expect(verify.output.contains("00000000000000000001.journal at byte 4096"))
    }
}
