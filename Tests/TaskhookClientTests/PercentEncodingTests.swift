import Testing

@testable import TaskhookClient

@Suite struct PercentEncodingTests {
    @Test(arguments: [
        ("abc-XYZ_0.9~", "abc-XYZ_0.9~"),
        ("a b", "a%20b"),
        ("a+b", "a%2Bb"),
        ("a/b?c=d&e#f", "a%2Fb%3Fc%3Dd%26e%23f"),
        ("100%", "100%25"),
        ("é", "%C3%A9"),
        ("\n\u{7F}", "%0A%7F"),
        ("", ""),
    ])
    func onlyUnreservedCharactersStayAsTheyAre(text: String, encoded: String) {
        #expect(text.percentEncoded == encoded)
    }

    @Test func targetsEncodeEveryValue() {
        #expect(ControlTarget.task("a b/c") == "/v1/tasks/a%20b%2Fc")
        #expect(ControlTarget.task("t-1", wait: 60) == "/v1/tasks/t-1?wait=60")
        #expect(
            ControlTarget.tasks([("limit", "100"), ("provider", "fal ai"), ("after", "x&y")])
                == "/v1/tasks?limit=100&provider=fal%20ai&after=x%26y")
        #expect(ControlTarget.events(since: 7, follow: true, task: nil) == "/v1/events?since=7&follow=true")
        #expect(
            ControlTarget.events(since: 0, follow: false, task: "a+b")
                == "/v1/events?since=0&follow=false&task=a%2Bb")
    }
}
