import TaskhookClient
import Testing

@testable import TaskhookActions

@Suite struct FetchPlanTests {
    @Test func resultsGoUnderTheProviderAndTaskEachNameOneSafeSegment() {
        let end = TaskEnd(
            sequence: 1, taskID: "../etc", provider: "freepik", status: .completed,
            results: [
                "https://cdn.example/v/clip.mp4?sig=1", "https://other.example/w/clip.mp4", "https://cdn.example/",
                "https://cdn.example/a%20b/.hidden",
            ])
        let targets = FetchPlan.targets(directory: "/srv/videos", end: end)
        #expect(
            targets.map(\.path) == [
                "/srv/videos/freepik/%2E.%2Fetc/clip.mp4", "/srv/videos/freepik/%2E.%2Fetc/2-clip.mp4",
                "/srv/videos/freepik/%2E.%2Fetc/result", "/srv/videos/freepik/%2E.%2Fetc/%2Ehidden",
            ])
        #expect(targets[0].partialPath == "/srv/videos/freepik/%2E.%2Fetc/.clip.mp4.partial")
    }

    @Test func segmentsAreInjectiveAndBounded() {
        #expect(FetchPlan.segment("a/b") != FetchPlan.segment("a%2Fb"))
        #expect(FetchPlan.segment("a b") == "a%20b")
        let long = FetchPlan.segment(String(repeating: "x", count: 300))
        #expect(long.utf8.count == 197)
        #expect(long != FetchPlan.segment(String(repeating: "x", count: 301)))
    }

    @Test func onlyWebURLsAreFetched() {
        #expect(FetchPlan.refusal(of: "https://cdn/a.mp4") == nil)
        #expect(FetchPlan.refusal(of: "http://127.0.0.1:8/a.mp4") == nil)
        #expect(FetchPlan.refusal(of: "file:///etc/shadow")?.contains("only http and https") == true)
        #expect(FetchPlan.refusal(of: "not a url")?.contains("not a URL") == true)
    }

    func head(_ status: Int, _ headers: [String: String] = [:]) -> HTTPExchange.DownloadHead {
        HTTPExchange.DownloadHead(status: status, headers: headers)
    }

    @Test func anAnswerSaysHowThePartialFileGoesOn() {
        #expect(FetchPlan.headers(resumingAt: 0).isEmpty)
        #expect(FetchPlan.headers(resumingAt: 100).map(\.1) == ["bytes=100-"])
        #expect(FetchPlan.continuation(requestedOffset: 0, head: head(200)) == .append)
        #expect(FetchPlan.continuation(requestedOffset: 100, head: head(200)) == .restart)
        #expect(
            FetchPlan.continuation(requestedOffset: 100, head: head(206, ["content-range": "bytes 100-199/200"]))
                == .append)
        guard
            case .discardPartial = FetchPlan.continuation(
                requestedOffset: 100, head: head(206, ["content-range": "bytes 0-199/200"]))
        else {
            Issue.record("a range from elsewhere continued the file")
            return
        }
        #expect(
            FetchPlan.continuation(requestedOffset: 200, head: head(416, ["content-range": "bytes */200"])) == .complete
        )
        #expect(FetchPlan.continuation(requestedOffset: 0, head: head(404)) == .refuse("answered 404"))
        #expect(FetchPlan.bodyLength(head(200, ["content-length": "12"])) == 12)
    }

    @Test func theChecksumListIsWhatSha256sumReads() {
        let files = [FetchedFile(url: "u", path: "/d/a.mp4", size: 1, sha256: "00ff")]
        #expect(FetchPlan.checksumList(files) == "00ff  a.mp4\n")
    }
}
