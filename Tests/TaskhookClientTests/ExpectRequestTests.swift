import TaskhookCore
import TaskhookState
import Testing

@testable import TaskhookClient

@Suite struct ExpectRequestTests {
    let now: Int64 = 1_700_000_000_000

    @Test func aRegistrationBeforeSubmittingCarriesNoIdAndOnlyTheValuesGiven() {
        let registration = ExpectRecord(
            provider: "freepik", registration: "r-1", endpoint: "freepik/kling-v2", deadline: now + 1000,
            labels: ExpectRecord.labels([("job", "a"), ("team", "b"), ("job", "c")]))
        #expect(
            registration.json.text
                == #"{"provider":"freepik","registration":"r-1","endpoint":"freepik/kling-v2","deadline":1700000001000,"#
                + #""labels":{"team":"b","job":"c"}}"#)
        #expect(registration.problems(now: now) == [])
    }

    @Test(arguments: [
        (ExpectRecord(provider: "", id: "a"), "provider must be 1 to 128 bytes long"),
        (ExpectRecord(provider: "fal:x", id: "a"), "provider must not contain a colon"),
        (ExpectRecord(provider: "fal", id: ""), "\"\" cannot be a task id"),
        (ExpectRecord(provider: "fal", id: "a/b"), "\"a/b\" cannot be a task id"),
        (ExpectRecord(provider: "fal", registration: "a b"), "registration may hold only letters"),
        (ExpectRecord(provider: "fal", id: "a", endpoint: "fal/nope"), "--endpoint fal/nope is not a known endpoint"),
        (
            ExpectRecord(provider: "freepik", id: "a", endpoint: "kling/image2video"),
            "--endpoint kling/image2video is read by the kling profile, not freepik's"
        ),
        (ExpectRecord(provider: "fal", id: "a", statusURL: "queue.fal.run/x"), "--poll-url must be an http://"),
        (ExpectRecord(provider: "fal", id: "a", resultURL: "ftp://h/x"), "--result-url must be an http://"),
        (ExpectRecord(provider: "fal", id: "a", deadline: 1_700_000_000_000), "--deadline must be in the future"),
        (
            ExpectRecord(provider: "fal", id: "a", labels: [Expectation.Label(name: "", value: "x")]),
            "label \"\": names are 1 to 64 bytes"
        ),
        (
            ExpectRecord(
                provider: "fal", id: "a", labels: ExpectRecord.labels((0...32).map { ("k\($0)", "v") })),
            "labels may have at most 32 members"
        ),
        (ExpectRecord(provider: "fal", id: "a", externalID: ""), "external_id must be 1 to 256 bytes long"),
    ])
    func aValueTheDaemonWouldRefuseIsNamedBeforeAnythingIsSent(_ registration: ExpectRecord, _ problem: String) {
        let problems = registration.problems(now: now)
        #expect(problems.count == 1, "\(problems)")
        #expect(problems.first?.hasPrefix(problem) == true, "\(problems)")
    }

    @Test func aNewRegistrationIdIs32HexDigitsAndFreshEachTime() throws {
        let ids = (0..<100).map { _ in ExpectRecord.newRegistrationID() }
        #expect(Set(ids).count == 100)
        #expect(ids.allSatisfy { $0.count == 32 && $0.allSatisfy(\.isHexDigit) })
        let registration = ExpectRecord(provider: "fal", registration: ids[0])
        #expect(try ExpectRecord(json: registration.json) == registration)
    }

    @Test func thePendingRegistrationAnswerIsRead() throws {
        let body =
            #"{"registration":"r-1","provider":"freepik","endpoint":"freepik/kling-v2","deadline":5,"registered":4}"#
        let pending = try PendingRegistration.parse(Array(body.utf8))
        #expect(
            pending
                == PendingRegistration(
                    registration: "r-1", provider: "freepik", endpoint: "freepik/kling-v2", deadline: 5, registered: 4))
    }

    @Test func anObservationAnswerGivesItsOutcomeAndTheTask() throws {
        let body = #"{"outcome":"changed","task":{"id":"a","provider":"freepik","status":"completed","terminal":true}}"#
        let answer = try ObservationAnswer.parse(Array(body.utf8))
        #expect(answer.outcome == .changed)
        #expect(answer.task.isCompleted)
        #expect(throws: ControlError.self) {
            try ObservationAnswer.parse(Array(#"{"outcome":"maybe","task":{"id":"a","terminal":false}}"#.utf8))
        }
    }

    @Test func theExpectedListingGivesTasksWithTheirExpectationsPendingRegistrationsAndTheCursor() throws {
        let body = """
            {"tasks":[{"id":"a","provider":"freepik","key":"freepik:a","status":"created","terminal":false,\
            "last_heard":1000,"expected":{"endpoint":"freepik/kling-v2","status_url":null,"result_url":null,\
            "deadline":2000,"labels":{"job":"x"},"registration":"r-1","registered":900},\
            "deliveries":[{"sequence":3,"status":"in_progress","time":950,"applied":true,"source":"observation"}]}],\
            "pending":[{"registration":"r-2","provider":"fal","endpoint":null,"deadline":3000,"registered":1}],\
            "next":"freepik:a"}
            """
        let page = try ExpectedPage.parse(Array(body.utf8))
        #expect(page.next == "freepik:a")
        #expect(page.pending.map(\.registration) == ["r-2"])
        let task = try #require(page.tasks.first)
        #expect(task.key == "freepik:a")
        #expect(task.lastHeard == 1000)
        #expect(
            task.expected
                == Expectation(
                    endpoint: "freepik/kling-v2", deadline: 2000, labels: [Expectation.Label(name: "job", value: "x")],
                    registration: "r-1", registered: 900))
        #expect(task.deliveries?.first?.source == "observation")
        #expect(task.summary.contains("endpoint    freepik/kling-v2\n"))
        #expect(task.summary.contains("labels      job=x\n"))
        #expect(task.summary.contains("in_progress (observation)"))
    }
}
