import Foundation
import TaskhookCore
import TaskhookProviders
import Testing

@testable import TaskhookActions

@Suite struct ActionsConfigurationTests {
    func parse(_ yaml: String) throws(SettingError) -> ActionsConfiguration? {
        try ActionsConfiguration.parse(yaml: yaml)
    }

    func error(_ yaml: String) -> String {
        do {
            _ = try parse(yaml)
            return "no error"
        } catch {
            return error.description
        }
    }

    @Test func aFullSectionIsReadWithEveryValueAndTheDaemonsKeysAreLeftAlone() throws {
        let configuration = try #require(
            try parse(
                """
                listen: ["127.0.0.1:8080"]
                routes: [{path: /hooks/x, provider: kling, whatever: 1}]
                control: {socket: /run/x/control.sock}
                actions:
                  concurrency: 2
                  backfill: true
                  list:
                    - name: notify
                      on: [completed, failed]
                      provider: freepik
                      run: [/usr/local/bin/notify, --channel, ops]
                      environment: {CHANNEL: ops}
                      pass-environment: [HOME]
                      timeout: 2m
                      retries: 3
                      backoff: 5s
                      max-backoff: 1m
                    - name: download
                      fetch: {directory: /srv/videos}
                """))
        #expect(configuration.concurrency == 2)
        #expect(configuration.backfill)
        #expect(configuration.controlSocket == "/run/x/control.sock")
        let notify = try #require(configuration.action(named: "notify"))
        #expect(notify.trigger == ActionTrigger(statuses: [.completed, .failed], providers: ["freepik"]))
        #expect(
            notify.work
                == .command(
                    arguments: ["/usr/local/bin/notify", "--channel", "ops"], environment: ["CHANNEL": "ops"],
                    passEnvironment: ["HOME"]))
        #expect(notify.timeout == .seconds(120))
        #expect(notify.retry == RetryPolicy(retries: 3, backoff: .seconds(5), maxBackoff: .seconds(60)))
        let download = try #require(configuration.action(named: "download"))
        #expect(download.work == .fetch(directory: "/srv/videos"))
        // Defaults: on completed, ten minutes, and a download (idempotent, resumable) retries.
        #expect(download.trigger.statuses == [.completed])
        #expect(download.timeout == .seconds(600))
        #expect(download.retry.retries == 5)
    }

    @Test func theShortFormIsTheListAloneAndACommandRunsOnceByDefault() throws {
        let configuration = try #require(try parse("actions:\n  - {name: a, on: any, run: [true]}\n"))
        #expect(configuration.concurrency == 4)
        #expect(!configuration.backfill)
        #expect(configuration.actions[0].trigger.statuses == [.completed, .failed, .canceled])
        #expect(configuration.actions[0].retry.retries == 0)
    }

    @Test func aFileWithoutActionsHasNone() throws {
        #expect(try parse("listen: [\"127.0.0.1:8080\"]\n") == nil)
        #expect(try parse("") == nil)
    }

    @Test func eachMistakeIsNamedByItsPathAndLine() {
        let cases: [(String, String)] = [
            (
                "actions:\n  - {name: a, on: started, run: [x]}\n",
                "actions[0].on (line 2): expected completed, failed, canceled or any"
            ),
            (
                "actions:\n  - name: a\n    on: [completed]\n",
                "actions[0] (line 2): needs run (a command) or fetch (downloads)"
            ),
            (
                "actions:\n  - {name: a, run: [x], fetch: {directory: /d}}\n",
                "actions[0] (line 2): give run or fetch, not both"
            ),
            ("actions:\n  - {name: a, run: \"x --y\"}\n", "actions[0].run (line 2): expected the command as a list"),
            ("actions:\n  - {name: A!, run: [x]}\n", "actions[0].name (line 2): a name is 1 to 64 of a-z"),
            (
                "actions:\n  - {name: a, run: [x]}\n  - {name: a, run: [y]}\n",
                "actions[1] (line 3): the name a is used by another action"
            ),
            (
                "actions:\n  - {name: a, run: [x], environment: {TASK_ID: y}}\n",
                "TASK_* and ACTION_* are set by the runner"
            ),
            ("actions:\n  - {name: a, run: [x], environment: {1X: y}}\n", "1X is not a variable name"),
            (
                "actions:\n  - {name: a, fetch: {directory: videos}}\n",
                "actions[0].fetch.directory (line 2): must be an absolute path"
            ),
            ("actions:\n  - {name: a, run: [x], retries: 101}\n", "actions[0].retries (line 2): must be at most 100"),
            ("actions:\n  - {name: a, run: [x], timeout: 0s}\n", "actions[0].timeout (line 2): must be more than 0"),
            (
                "actions:\n  - {name: a, run: [x], backoff: 2m, max-backoff: 1m}\n",
                "max-backoff must be at least backoff"
            ),
            ("actions:\n  - {name: a, run: [x], shell: true}\n", "actions[0].shell (line 2): unknown key"),
            ("actions:\n  concurrency: 0\n", "actions.concurrency (line 2): expected a whole number ≥ 1"),
            ("actions:\n  list: [{name: a, run: [x]}]\n  parallel: 3\n", "actions.parallel (line 3): unknown key"),
            ("actions: [\n", "not valid YAML"),
        ]
        for (yaml, expected) in cases {
            #expect(error(yaml).contains(expected), "\(yaml) → \(error(yaml))")
        }
    }

    @Test func retriesWaitTheBackoffDoubledUpToTheLongestWait() {
        let policy = RetryPolicy(retries: 6, backoff: .seconds(10), maxBackoff: .seconds(60))
        #expect((0...6).map { policy.delay(afterFailures: $0) } == [0, 10, 20, 40, 60, 60, 60].map { .seconds($0) })
        #expect(policy.allowsAttempt(afterFailures: 6))
        #expect(!policy.allowsAttempt(afterFailures: 7))
        #expect(
            RetryPolicy(retries: 1, backoff: .seconds(1), maxBackoff: .seconds(3600)).delay(afterFailures: 1000)
                == .seconds(3600))
    }

    @Test func aTriggerMatchesItsStatusesAndProviders() {
        let end = TaskEnd(sequence: 3, taskID: "t", provider: "fal", status: .failed)
        #expect(ActionTrigger(statuses: [.failed]).matches(end))
        #expect(!ActionTrigger(statuses: [.completed]).matches(end))
        #expect(ActionTrigger(statuses: [.failed], providers: ["freepik", "fal"]).matches(end))
        #expect(!ActionTrigger(statuses: [.failed], providers: ["freepik"]).matches(end))
        #expect(ActionTrigger.statuses(named: "in_progress") == nil)
    }
}

@Suite struct DocumentedActionsTests {
    @Test func theCommentedExampleInTheShippedConfigurationIsValid() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
            "../../config/taskhook.yaml")
        let lines = try String(contentsOf: url, encoding: .utf8).split(
            separator: "\n", omittingEmptySubsequences: false)
        let start = try #require(lines.firstIndex(of: "#actions:"))
        let block = lines[start...].prefix { $0.hasPrefix("#") }.map { $0.dropFirst() }.joined(separator: "\n")
        let configuration = try #require(try ActionsConfiguration.parse(yaml: block))
        #expect(configuration.actions.map(\.name) == ["notify", "download"])
        #expect(configuration.action(named: "notify")?.retry.retries == 3)
    }
}
