import Testing

@testable import TaskhookClient

@Suite struct TaskViewTests {
    static let completed = """
        {"id":"t-1","provider":"freepik","status":"completed","terminal":true,\
        "results":["https://cdn.example/a.mp4","https://cdn.example/b.mp4"],"error":null,\
        "first_seen":1738324800000,"updated":1738324805250,"deliveries":[\
        {"sequence":4,"status":"in_progress","time":1738324800000,"applied":true,"delivery_id":"msg_1"},\
        {"sequence":9,"status":"completed","time":1738324805250,"applied":true,"delivery_id":null},\
        {"sequence":11,"status":"completed","time":1738324806000,"applied":false}]}
        """

    @Test func aTaskParsesWithItsDeliveries() throws {
        let task = try TaskView.parse(Array(Self.completed.utf8))
        #expect(task.id == "t-1")
        #expect(task.isKnown && task.isCompleted)
        #expect(task.results == ["https://cdn.example/a.mp4", "https://cdn.example/b.mp4"])
        #expect(task.error == nil)
        #expect(task.firstSeen == 1_738_324_800_000)
        #expect(
            task.deliveries == [
                .init(sequence: 4, status: "in_progress", time: 1_738_324_800_000, applied: true, deliveryID: "msg_1"),
                .init(sequence: 9, status: "completed", time: 1_738_324_805_250, applied: true),
                .init(sequence: 11, status: "completed", time: 1_738_324_806_000, applied: false),
            ])
    }

    @Test func aTaskNeverHeardOfIsKnownFalseAndNotTerminal() throws {
        let task = try TaskView.parse(Array(#"{"id":"later","known":false,"terminal":false}"#.utf8))
        #expect(task == TaskView(unknown: "later"))
        #expect(!task.isKnown)
        #expect(task.statusText == "not yet seen")
    }

    @Test func aFailedTaskIsTerminalButNotCompleted() throws {
        let task = try TaskView.parse(
            Array(#"{"id":"f","status":"failed","terminal":true,"results":[],"error":"no credits"}"#.utf8))
        #expect(task.terminal && !task.isCompleted)
        #expect(task.statusText == "failed")
        #expect(task.error == "no credits")
    }

    @Test(arguments: [
        ("[1,2]", "the task is an array, not an object"),
        (#"{"terminal":true}"#, "the task has no \"id\""),
        (#"{"id":"a"}"#, "the task has no \"terminal\""),
        (#"{"id":"a","terminal":"yes"}"#, "the task's \"terminal\" is a string, not true or false"),
        (#"{"id":"a","terminal":true,"results":"x"}"#, "the task's \"results\" is a string, not an array"),
        (#"{"id":"a","terminal":true,"results":[1]}"#, "the task's \"results\" is an array, not an array of strings"),
        (#"{"id":"a","terminal":true,"deliveries":[{"sequence":1}]}"#, "a delivery has no \"status\""),
    ])
    func theWrongShapeIsAClearError(json: String, reason: String) {
        #expect(
            throws: ControlError.broken("taskhookd answered with JSON this command does not understand: \(reason)")
        ) {
            try TaskView.parse(Array(json.utf8))
        }
    }

    @Test func bytesThatAreNotJSONAreAnError() {
        #expect(throws: ControlError.self) { try TaskView.parse(Array("<html>".utf8)) }
        #expect(throws: ControlError.self) { try TaskView.parse(Array(#"{"id":"a","terminal":true"#.utf8)) }
    }

    @Test func aPageKeepsEachTasksJSONAsTheDaemonWroteIt() throws {
        let body = #"{"tasks":[\#(Self.completed),{"id":"later","known":false,"terminal":false}],"next":"p2"}"#
        let page = try TaskPage.parse(Array(body.utf8))
        #expect(page.tasks.map(\.id) == ["t-1", "later"])
        #expect(page.json == [Self.completed, #"{"id":"later","known":false,"terminal":false}"#])
        #expect(page.next == "p2")
        #expect(try TaskPage.parse(Array(#"{"tasks":[],"next":null}"#.utf8)).next == nil)
    }

    @Test func anEventParsesFromItsDataLine() throws {
        let event = try EventView.parse(
            #"{"sequence":9,"task_id":"t-1","provider":"fal","status":"completed","terminal":true,"#
                + #""results":["https://x/v.mp4"],"error":null,"time":1738324805250}"#)
        #expect(
            event
                == EventView(
                    sequence: 9, taskID: "t-1", provider: "fal", status: "completed", terminal: true,
                    results: ["https://x/v.mp4"], error: nil, time: 1_738_324_805_250))
        #expect(throws: ViewError("the event has no \"task_id\"")) {
            try EventView.parse(#"{"sequence":1,"status":"created","terminal":false}"#)
        }
    }

    @Test func theSummaryLabelsEachFact() throws {
        let task = try TaskView.parse(Array(Self.completed.utf8))
        #expect(
            task.summary == """
                task        t-1
                provider    freepik
                status      completed
                results     https://cdn.example/a.mp4
                            https://cdn.example/b.mp4
                error       -
                first seen  2025-01-31T12:00:00.000Z
                updated     2025-01-31T12:00:05.250Z
                deliveries  #4 2025-01-31T12:00:00.000Z in_progress id=msg_1
                            #9 2025-01-31T12:00:05.250Z completed
                            #11 2025-01-31T12:00:06.000Z completed (not applied)

                """)
    }

    @Test func theTableAlignsItsColumns() throws {
        let tasks = [
            try TaskView.parse(Array(Self.completed.utf8)),
            TaskView(id: "f", provider: "fal", status: "failed", terminal: true, error: "bad\nprompt"),
        ]
        #expect(
            TaskView.table(tasks) == """
                ID   PROVIDER  STATUS     UPDATED                   RESULT
                t-1  freepik   completed  2025-01-31T12:00:05.250Z  https://cdn.example/a.mp4 (+1)
                f    fal       failed     -                         bad prompt

                """)
    }

    @Test func timesReadAsPeopleWriteThem() {
        #expect(TimeText.iso(milliseconds: 0) == "1970-01-01T00:00:00.000Z")
        #expect(TimeText.iso(milliseconds: -1) == "1969-12-31T23:59:59.999Z")
        #expect(TimeText.elapsed(.milliseconds(850)) == "850ms")
        #expect(TimeText.elapsed(.milliseconds(4250)) == "4.2s")
        #expect(TimeText.elapsed(.seconds(42)) == "42s")
        #expect(TimeText.elapsed(.seconds(185)) == "3m05s")
        #expect(TimeText.elapsed(.seconds(7620)) == "2h07m")
    }
}
