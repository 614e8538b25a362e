import Logging
import TaskhookCore
import Testing

@testable import TaskhookDaemon

@Suite struct DeliveryLogTests {
    let event = TaskEvent(taskID: "t \"1\"", provider: "freepik", status: .completed)

    func logThroughSwiftLog(_ logger: Logger, sequence: UInt64) {
        logger.info(
            "delivery recorded",
            metadata: [
                "task_id": "\(event.taskID)", "provider": "freepik", "task_status": "\(event.status.rawValue)",
                "route": "/hooks/freepik", "journal_seq": "\(sequence)", "peer": "127.0.0.1",
            ])
    }

    @Test(arguments: [0, 9, 10, 1_234_567, UInt64.max])
    func theLineWrittenInPlaceIsTheLineTheHandlerWrites(sequence: UInt64) throws {
        let (output, path) = try LineLogHandlerTests.fileOutput()
        let logger = Logger(label: "test") { LineLogHandler(label: $0, output: output) }
        DeliveryLog(logger: logger).recorded(
            event, sequence: sequence, provider: "freepik", route: "/hooks/freepik", peer: "127.0.0.1")
        logThroughSwiftLog(logger, sequence: sequence)
        let lines = try LineLogHandlerTests.contents(path).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 3 && lines[0] == lines[1] && lines[2].isEmpty)
        #expect(
            lines[0]
                == #"INFO delivery recorded journal_seq=\#(sequence) peer=127.0.0.1 provider=freepik "#
                + #"route=/hooks/freepik task_id="t \"1\"" task_status=completed"#)
    }

    @Test func nothingIsWrittenBelowTheInfoLevel() throws {
        let (output, path) = try LineLogHandlerTests.fileOutput()
        var logger = Logger(label: "test") { LineLogHandler(label: $0, output: output) }
        logger.logLevel = .notice
        DeliveryLog(logger: logger).recorded(event, sequence: 1, provider: "freepik", route: "/r", peer: "p")
        #expect(try LineLogHandlerTests.contents(path) == "")
    }

    @Test func aLoggerWithMetadataOfItsOwnKeepsItInTheLine() throws {
        let (output, path) = try LineLogHandlerTests.fileOutput()
        var logger = Logger(label: "test") { LineLogHandler(label: $0, output: output) }
        logger[metadataKey: "instance"] = "a"
        DeliveryLog(logger: logger).recorded(
            event, sequence: 7, provider: "freepik", route: "/hooks/freepik", peer: "127.0.0.1")
        #expect(
            try LineLogHandlerTests.contents(path)
                == #"INFO delivery recorded instance=a journal_seq=7 peer=127.0.0.1 provider=freepik "#
                + #"route=/hooks/freepik task_id="t \"1\"" task_status=completed"# + "\n")
    }
}
