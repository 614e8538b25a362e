import Testing

@testable import TaskhookClient

@Suite struct ServerSentEventTests {
    static let stream = Array(
        (": taskhook events\n\n"
            + "id: 3\nevent: task\ndata: {\"sequence\":3}\n\n"
            + ": keep-alive\n\n"
            + "id: 5\nevent: task\ndata: {\"sequence\":5}\n\n").utf8)

    @Test func eventsComeOutInOrderAndCommentsAreSkipped() {
        var parser = ServerSentEventParser()
        parser.feed(Self.stream)
        #expect(
            parser.events() == [
                ServerSentEvent(id: 3, data: "{\"sequence\":3}"), ServerSentEvent(id: 5, data: "{\"sequence\":5}"),
            ])
        #expect(parser.events() == [])
    }

    @Test func everySplitOfTheStreamGivesTheSameEvents() {
        for cut in 0...Self.stream.count {
            var parser = ServerSentEventParser()
            parser.feed(Self.stream[..<cut])
            var events = parser.events()
            parser.feed(Self.stream[cut...])
            events += parser.events()
            #expect(events.map(\.id) == [3, 5], "split at \(cut)")
        }
    }

    @Test func anUnfinishedEventWaitsForItsBlankLine() {
        var parser = ServerSentEventParser()
        parser.feed(Array("id: 9\ndata: {}\n".utf8))
        #expect(parser.events() == [])
        parser.feed([10])
        #expect(parser.events() == [ServerSentEvent(id: 9, data: "{}")])
    }
}
