import Logging
import Testing

@testable import TaskhookSystemd

@Suite struct JournaldFieldsTests {
    @Test func aRecordBecomesJournalFieldsWithMetadataUpperCased() {
        let fields = JournaldLogHandler.fields(
            identifier: "taskhookd", level: .warning, message: "callback rejected",
            metadata: ["task_id": "t-1", "provider": "freepik", "journal_seq": "42", "reason": "bad signature"],
            file: "Ingest/PublicRoutes.swift", function: "handle(_:connection:responder:)", line: 77)
        #expect(
            fields == [
                "MESSAGE=callback rejected", "PRIORITY=4", "SYSLOG_IDENTIFIER=taskhookd",
                "CODE_FILE=Ingest/PublicRoutes.swift", "CODE_LINE=77", "CODE_FUNC=handle(_:connection:responder:)",
                "JOURNAL_SEQ=42", "PROVIDER=freepik", "REASON=bad signature", "TASK_ID=t-1",
            ])
    }

    @Test func fieldNamesFollowTheJournalsRules() {
        #expect(JournaldLogHandler.fieldName("task_status") == "TASK_STATUS")
        #expect(JournaldLogHandler.fieldName("drain-timeout") == "DRAIN_TIMEOUT")
        #expect(JournaldLogHandler.fieldName("_private") == "PRIVATE")
        #expect(JournaldLogHandler.fieldName("message") == "META_MESSAGE")
        #expect(JournaldLogHandler.fieldName("9lives") == nil)
        #expect(JournaldLogHandler.fieldName("with space") == nil)
        #expect(JournaldLogHandler.fieldName("") == nil)
    }

    @Test func levelsMapToSyslogPriorities() {
        #expect(JournaldLogHandler.priority(.critical) == 2)
        #expect(JournaldLogHandler.priority(.error) == 3)
        #expect(JournaldLogHandler.priority(.info) == 6)
        #expect(JournaldLogHandler.priority(.debug) == 7)
    }
}
