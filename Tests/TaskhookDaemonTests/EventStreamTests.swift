import TaskhookCore
import TaskhookHTTP
import TaskhookPosix
import TestSupport
import Testing

@testable import TaskhookDaemon

@Suite struct EventStreamTests {
    /// `tasks` tasks, each created, in progress and completed: three events a task, interleaved.
    static func history(_ harness: ControlHarness, tasks: Int) {
        for status in [TaskStatus.created, .inProgress, .completed] {
            for task in 0..<tasks { harness.report("t\(task)", status) }
        }
    }

    /// Reads a stream's `id:` lines as they come: each chunk once (chunks hold whole events), so
    /// checking after every loop turn does not read the whole stream again.
    final class EventIDs {
        let client: RecordingResponder
        private var read = 0
        private var found: [UInt64] = []

        init(_ client: RecordingResponder) { self.client = client }

        /// Every event's id streamed so far, in order.
        var all: [UInt64] {
            for chunk in client.chunks[read...] {
                found += String(decoding: chunk, as: UTF8.self).split(separator: "\n").compactMap { line in
                    line.hasPrefix("id: ") ? UInt64(line.dropFirst(4)) : nil
                }
            }
            read = client.chunks.count
            return found
        }
    }

    /// Runs the loop until `done` (or a bound on turns), the client reading after each turn
    /// when `reads`.
    static func run(
        _ harness: ControlHarness, _ client: RecordingResponder, reads: Bool = true, turns: Int = 5_000,
        until done: () -> Bool
    ) throws {
        var turn = 0
        while turn < turns, !done() {
            try harness.loop.runOnce(maximumWait: .milliseconds(5))
            if reads { client.drain() }
            turn += 1
        }
    }

    @Test func aLargeBacklogIsSentInOrderAPageAtATimeAsTheClientReadsWhileOthersAreAnswered() throws {
        let harness = try ControlHarness()
        Self.history(harness, tasks: 4_000)
        let client = harness.request("/v1/events")
        client.holdsSentBytes = true
        let ids = EventIDs(client)
        // The subscribe request answered with the head and at most a first page.
        #expect(ids.all.count <= EventStream.pageEvents)
        // Another request is answered while the backlog waits.
        #expect(harness.request("/v1/tasks/t1").status == 200)

        // A client that does not read gets no more than a page or so beyond the threshold.
        try Self.run(harness, client, reads: false, turns: 50) { false }
        let unread = client.pendingBytes
        #expect(unread >= EventStream.pageBytes && unread < 3 * EventStream.pageBytes)
        #expect(ids.all.count < 12_000)

        // A change made meanwhile comes after the backlog, not inside it.
        harness.report("late", .completed)
        try Self.run(harness, client) { ids.all.count == 12_001 }
        #expect(ids.all == Array(1...12_001))
        #expect(client.chunks.count > 12_000 / EventStream.pageEvents)
        #expect(client.chunks.allSatisfy { chunk in chunk.count < 2 * EventStream.pageBytes })

        // Then it is live: the next change is sent at once.
        harness.report("next", .completed)
        #expect(ids.all.last == 12_002)
        #expect(!client.finished)
    }

    @Test func aStreamThatDoesNotFollowEndsAfterItsLargeBacklog() throws {
        let harness = try ControlHarness()
        Self.history(harness, tasks: 1_500)
        let client = harness.request("/v1/events?since=100&follow=false")
        let ids = EventIDs(client)
        harness.report("live", .completed)
        try Self.run(harness, client) { client.finished }
        #expect(client.finished)
        #expect(ids.all == Array(101...4_500))
        #expect(harness.events.count == 0)
    }

    /// More live changes during the backlog than are worth holding: they are dropped, and a
    /// second backlog after the first finds them, so the client still sees each once, in order.
    @Test func liveChangesBeyondWhatIsHeldAreFoundByTheNextBacklog() throws {
        let harness = try ControlHarness(maxBacklogBytes: 4 * 1024)
        Self.history(harness, tasks: 2_000)
        let client = harness.request("/v1/events")
        let ids = EventIDs(client)
        for task in 0..<100 { harness.report("live\(task)", .completed) }
        try Self.run(harness, client) { ids.all.count == 6_100 }
        #expect(ids.all == Array(1...6_100))
        harness.report("after", .completed)
        #expect(ids.all.last == 6_101)
    }

    @Test func streamsBeyondTheLimitAreRefusedWithRetryAfter() throws {
        let harness = try ControlHarness(maxEventStreams: 2)
        harness.report("a", .completed)
        let first = harness.request("/v1/events")
        let second = harness.request("/v1/events?task=a")
        let refused = harness.request("/v1/events")
        #expect(first.streamHead?.status == .ok && second.streamHead?.status == .ok)
        #expect(refused.status == 503)
        #expect(refused.response?.headers["Retry-After"] == "5")
        #expect(refused.text.contains("2 event streams are open"))
        // A stream that ended (here: the client went) frees its place; one that reads what is
        // stored and ends takes a place only while it is open.
        first.disconnect()
        let stored = harness.request("/v1/events?follow=false")
        #expect(stored.finished && stored.streamed.contains("id: 1\n"))
        #expect(harness.request("/v1/events").streamHead?.status == .ok)
        #expect(harness.request("/v1/events").status == 503)
    }
}
