import TaskhookCore
import TaskhookHTTP
import TaskhookPosix
import TaskhookState
import TestSupport
import Testing

@testable import TaskhookDaemon

/// The control API in process: the routes over a task store and a real event loop (for the
/// long-polls' timers), answered into recording responders.
final class ControlHarness {
    let loop: EventLoop
    let store: TaskStore
    let events: EventStream
    let routes: ControlRoutes
    private(set) var sequence: UInt64 = 0

    init(maxWaiters: Int = 10, maxEventStreams: Int = 256, maxBacklogBytes: Int = 1 << 20) throws {
        loop = try EventLoop()
        store = TaskStore(maxWaiters: maxWaiters)
        events = EventStream(
            store: store, loop: loop, maxBacklogBytes: maxBacklogBytes, maxSubscribers: maxEventStreams)
        routes = ControlRoutes(store: store, loop: loop, events: events) { Array("metrics\n".utf8) }
    }

    /// Sends a GET (or `method`) and returns the responder the answer went to, if the routes
    /// did not answer from the head alone.
    @discardableResult
    func request(_ target: String, method: String = "GET", fields: [(String, String)] = []) -> RecordingResponder {
        let head = RequestHead(method: method, target: target, fields: HTTPFields([("Host", "x")] + fields))
        let info = ConnectionInfo(listener: "control", peer: nil)
        let responder = RecordingResponder()
        switch routes.decide(head, connection: info) {
        case .respond(let response): responder.respond(response)
        case .readBody: routes.handle(Request(head: head), connection: info, responder: responder)
        }
        return responder
    }

    /// A durable report, as the recorder hands it to the store.
    func report(_ id: String, _ status: TaskStatus, time: Int64 = 1_000) {
        sequence += 1
        let results = status == .completed ? ["https://cdn.example/\(id).mp4"] : []
        store.apply(
            [TaskEvent(taskID: id, provider: "freepik", status: status, results: results)], deliveryID: nil,
            sequence: sequence, time: time)
    }

    func json(_ responder: RecordingResponder) throws -> JSON { try JSON.parse(responder.response?.body ?? []) }
}

@Suite struct ControlRoutesTests {
    @Test func aKnownTaskIsShownAndAnUnknownOneIs404() throws {
        let harness = try ControlHarness()
        harness.report("a", .completed)
        let known = harness.request("/v1/tasks/a")
        #expect(known.status == 200)
        #expect(try harness.json(known)["status"] == "completed")
        #expect(try harness.json(known)["results"] == ["https://cdn.example/a.mp4"])
        #expect(harness.request("/v1/tasks/b").status == 404)
        #expect(harness.request("/v1/tasks/a%2Fb").status == 404)
    }

    @Test func aLongPollIsAnsweredWhenItsTaskEndsAndNotBefore() throws {
        let harness = try ControlHarness()
        let waiting = harness.request("/v1/tasks/t?wait=30")
        #expect(!waiting.isAnswered)
        #expect(harness.store.waiterCount == 1)
        harness.report("t", .inProgress)
        #expect(!waiting.isAnswered)
        harness.report("t", .completed)
        #expect(waiting.status == 200)
        #expect(try harness.json(waiting)["terminal"] == true)
        #expect(harness.store.waiterCount == 0)
    }

    @Test func aLongPollThatRunsOutAnswersWithTheTaskAsItIs() throws {
        let harness = try ControlHarness()
        let waiting = harness.request("/v1/tasks/t?wait=1")
        let deadline = Instant.now() + .seconds(5)
        while !waiting.isAnswered, Instant.now() < deadline {
            try harness.loop.runOnce(maximumWait: .milliseconds(100))
        }
        #expect(waiting.status == 200)
        #expect(try harness.json(waiting)["known"] == false)
        #expect(try harness.json(waiting)["terminal"] == false)
        #expect(harness.store.waiterCount == 0)
    }

    @Test func aClientThatLeavesOrHalfClosesIsNoLongerWaiting() throws {
        let harness = try ControlHarness()
        let gone = harness.request("/v1/tasks/t?wait=30")
        gone.disconnect()
        #expect(harness.store.waiterCount == 0)
        let halfClosed = harness.request("/v1/tasks/t?wait=30")
        halfClosed.closeInput()
        #expect(halfClosed.status == 200)
        #expect(harness.store.waiterCount == 0)
        harness.report("t", .completed)
        #expect(!gone.isAnswered)
    }

    @Test func waitsAreBoundedInLengthAndInNumber() throws {
        let harness = try ControlHarness(maxWaiters: 1)
        #expect(harness.request("/v1/tasks/t?wait=3601").status == 400)
        #expect(harness.request("/v1/tasks/t?wait=soon").status == 400)
        harness.request("/v1/tasks/t?wait=30")
        let refused = harness.request("/v1/tasks/u?wait=30")
        #expect(refused.status == 503)
        #expect(refused.response?.headers["Retry-After"] == "1")
    }

    @Test func stoppingAnswersEveryWaiter503() throws {
        let harness = try ControlHarness()
        let waiting = harness.request("/v1/tasks/t?wait=30")
        harness.routes.shutdown()
        #expect(waiting.status == 503)
        #expect(harness.request("/v1/tasks/u?wait=30").status == 503)
    }

    @Test func listingPagesByUpdateTimeWithACursor() throws {
        let harness = try ControlHarness()
        for (index, id) in ["c", "a", "b", "d", "e"].enumerated() {
            harness.report(id, index % 2 == 0 ? .completed : .failed, time: Int64(index * 10))
        }
        let first = try harness.json(harness.request("/v1/tasks?limit=2"))
        #expect(first["tasks"]?.array?.compactMap { $0["id"]?.string } == ["c", "a"])
        let next = try #require(first["next"]?.string)
        let second = try harness.json(harness.request("/v1/tasks?limit=2&after=\(next)"))
        #expect(second["tasks"]?.array?.compactMap { $0["id"]?.string } == ["b", "d"])
        let failed = try harness.json(harness.request("/v1/tasks?status=failed"))
        #expect(failed["tasks"]?.array?.compactMap { $0["id"]?.string } == ["a", "d"])
        #expect(failed["next"] == .null)
        #expect(harness.request("/v1/tasks?status=done").status == 400)
        #expect(harness.request("/v1/tasks?limit=0").status == 400)
        #expect(harness.request("/v1/tasks?after=nonsense").status == 400)
    }

    /// Follows `next` from the first page to the last: the ids, and the largest page's size.
    static func walk(_ harness: ControlHarness, _ query: String) throws -> (ids: [String], pages: Int, largest: Int) {
        var ids: [String] = []
        var pages = 0
        var largest = 0
        var after: String?
        repeat {
            let answer = harness.request("/v1/tasks?\(query)" + (after.map { "&after=\($0)" } ?? ""))
            let page = try harness.json(answer)
            ids += page["tasks"]?.array?.compactMap { $0["id"]?.string } ?? []
            largest = max(largest, answer.response?.body.count ?? 0)
            after = page["next"]?.string
            pages += 1
        } while after != nil && pages < 1_000
        return (ids, pages, largest)
    }

    @Test func aPageOfLargeTasksEndsEarlyAndItsNextGoesOnFromThere() throws {
        let harness = try ControlHarness()
        let padding = String(repeating: "r", count: 8_000)
        for index in 0..<50 {
            harness.store.apply(
                [
                    TaskEvent(
                        taskID: "big-\(index)", provider: "freepik", status: .completed,
                        results: ["https://cdn.example/\(index)/\(padding).mp4"])
                ], deliveryID: nil, sequence: UInt64(index + 1), time: 1_000 + Int64(index))
        }
        let first = try harness.json(harness.request("/v1/tasks?limit=1000"))
        let shown = first["tasks"]?.array?.count ?? 0
        #expect(shown > 0 && shown < 50)
        #expect(first["next"]?.string != nil)
        let walked = try Self.walk(harness, "limit=1000")
        #expect(walked.ids == (0..<50).map { "big-\($0)" })
        #expect(walked.pages > 1)
        // The page that crossed the bound took one task more, never many.
        #expect(walked.largest < ControlRoutes.listingPageBytes + 9_000)
    }

    /// A page given no time ends at the first look at the clock (16 tasks), and its `next`
    /// goes on from there: every task once, in order, however many pages it takes.
    @Test func aPageStopsWhenItsTimeIsSpent() throws {
        let harness = try ControlHarness()
        harness.routes.listingTime = .zero
        for index in 0..<100 { harness.report("t\(index)", .completed, time: 1_000 + Int64(index)) }
        let first = try harness.json(harness.request("/v1/tasks?limit=100"))
        #expect(first["tasks"]?.array?.count == ControlRoutes.listingClockEvery)
        #expect(first["next"]?.string != nil)
        let walked = try Self.walk(harness, "limit=100")
        #expect(walked.ids == (0..<100).map { "t\($0)" })
        #expect(walked.pages == (100 + ControlRoutes.listingClockEvery - 1) / ControlRoutes.listingClockEvery)
        harness.routes.listingTime = .seconds(60)  // a debug build on a busy machine may take 2 ms
        #expect(try Self.walk(harness, "limit=100").pages == 1)
    }

    @Test func aFilterFewTasksPassLooksAtABoundedNumberOfTasksPerPage() throws {
        let harness = try ControlHarness()
        harness.routes.listingTime = .seconds(60)  // the bounds by count, whatever the machine's speed
        let many = ControlRoutes.listingLooks + 500
        for index in 0..<many { harness.report("c\(index)", .completed, time: 1_000 + Int64(index)) }
        harness.report("late-failure", .failed, time: 1_000 + Int64(many))
        let first = try harness.json(harness.request("/v1/tasks?status=failed"))
        #expect(first["tasks"] == [])
        #expect(first["next"]?.string != nil)
        let walked = try Self.walk(harness, "status=failed")
        #expect(walked.ids == ["late-failure"])
        #expect(walked.pages == 2)
        // Unfiltered (and small), a page is still its whole limit, and the last says there is no more.
        let all = try Self.walk(harness, "limit=100")
        #expect(all.ids.count == many + 1 && Set(all.ids).count == many + 1)
        #expect(all.pages == (many + 1 + 99) / 100)
    }

    @Test func theEventStreamResumesAfterASequenceThenFollowsLiveChanges() throws {
        let harness = try ControlHarness()
        harness.report("a", .created)
        harness.report("a", .completed)
        harness.report("b", .failed)
        let stored = harness.request("/v1/events?since=1&follow=false")
        #expect(stored.finished)
        #expect(stored.streamed.contains("id: 2\n") && stored.streamed.contains("id: 3\n"))
        #expect(!stored.streamed.contains("id: 1\n"))

        let resumed = harness.request("/v1/events", fields: [("Last-Event-ID", "3")])
        #expect(!resumed.finished)
        #expect(!resumed.streamed.contains("id: "))
        harness.report("c", .completed)
        #expect(resumed.streamed.contains("id: 4\nevent: task\n"))
        #expect(resumed.streamed.contains(#""task_id":"c""#))
        #expect(harness.events.count == 1)
        resumed.disconnect()
        #expect(harness.events.count == 0)
        #expect(harness.request("/v1/events?since=x").status == 400)
    }

    @Test func aSubscriberNarrowedToOneTaskHearsOnlyThatTask() throws {
        let harness = try ControlHarness()
        let narrowed = harness.request("/v1/events?task=b")
        harness.report("a", .completed)
        harness.report("b", .completed)
        #expect(narrowed.streamed.contains(#""task_id":"b""#))
        #expect(!narrowed.streamed.contains(#""task_id":"a""#))
    }

    @Test func onlyGetAndHeadOnKnownPaths() throws {
        let harness = try ControlHarness()
        let post = harness.request("/v1/tasks", method: "POST")
        #expect(post.status == 405)
        #expect(post.response?.headers["Allow"] == "GET, HEAD")
        #expect(harness.request("/v2/anything").status == 404)
        #expect(harness.request("/healthz").status == 200)
        #expect(harness.request("/metrics").text == "metrics\n")
    }
}
