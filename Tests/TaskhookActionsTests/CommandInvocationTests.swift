import TaskhookCore
import Testing

@testable import TaskhookActions

@Suite struct CommandInvocationTests {
    let end = TaskEnd(
        sequence: 42, taskID: "t-1", provider: "freepik", status: .completed,
        results: ["https://cdn/a.mp4", "https://cdn/b.mp4"], time: 1_700_000_000_000)

    @Test func theEnvironmentIsThePathTheTaskAndWhatTheActionSaysNothingElse() {
        let invocation = CommandInvocation(
            arguments: ["/bin/notify", "--x"], environment: ["CHANNEL": "ops", "PATH": "/opt/bin"],
            passEnvironment: ["HOME", "MISSING"], end: end, task: ["id": "t-1", "external_id": "mine-7"],
            action: "notify", attempt: 2,
            runnerEnvironment: ["PATH": "/usr/bin", "HOME": "/var/lib/x", "SECRET": "no", "TASK_ID": "stale"])
        #expect(invocation.arguments == ["/bin/notify", "--x"])
        #expect(
            invocation.environment == [
                "ACTION_ATTEMPT=2", "ACTION_NAME=notify", "CHANNEL=ops", "HOME=/var/lib/x", "PATH=/opt/bin",
                "TASK_ERROR=", "TASK_EXTERNAL_ID=mine-7", "TASK_ID=t-1", "TASK_KEY=freepik:t-1",
                "TASK_PROVIDER=freepik", "TASK_RESULT_URL=https://cdn/a.mp4",
                "TASK_RESULT_URLS=https://cdn/a.mp4\nhttps://cdn/b.mp4", "TASK_SEQUENCE=42", "TASK_STATUS=completed",
            ])
        #expect(invocation.input == Array(#"{"id":"t-1","external_id":"mine-7"}"#.utf8) + [10])
    }

    @Test func withoutTheDaemonsTaskTheInputIsTheEventAndThePathHasADefault() {
        let failed = TaskEnd(sequence: 7, taskID: "t-2", provider: "fal", status: .failed, error: "nsfw")
        let invocation = CommandInvocation(
            arguments: ["x"], environment: [:], passEnvironment: [], end: failed, task: nil, action: "a", attempt: 1,
            runnerEnvironment: [:])
        #expect(invocation.environment.contains("PATH=/usr/local/bin:/usr/bin:/bin"))
        #expect(invocation.environment.contains("TASK_RESULT_URL="))
        #expect(invocation.environment.contains("TASK_ERROR=nsfw"))
        #expect(
            String(decoding: invocation.input, as: UTF8.self)
                == #"{"sequence":7,"task_id":"t-2","provider":"fal","status":"failed","terminal":true,"results":[],"error":"nsfw","time":null}"#
                + "\n")
    }
}
