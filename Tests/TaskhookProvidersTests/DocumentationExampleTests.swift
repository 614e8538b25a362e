import TaskhookCore
import Testing

@testable import TaskhookProviders

/// Each provider's own documented example payloads, copied byte for byte from the page named
/// above each (checked 2026-12-01), normalized by its profile.
@Suite struct DocumentationExampleTests {
    static func read(_ profile: some ProviderProfile, _ body: String) -> Normalized {
        profile.normalize(Callback(headers: [], body: Array(body.utf8), receivedAt: 0))
    }

    /// https://replicate.com/docs/topics/webhooks/receive-webhook ("an example of an unfinished
    /// prediction"); the body echoes the prediction's `input`.
    static let replicateStarting = """
        {
          "id": "ufawqhfynnddngldkgtslldrkq",
          "version": "5c7d5dc6dd8bf75c1acaa8565735e7986bc5b66206b55cca93cb72c9bf15ccaa",
          "created_at": "2022-04-26T22:13:06.224088Z",
          "started_at": null,
          "completed_at": null,
          "status": "starting",
          "input": {
            "text": "Alice"
          },
          "output": null,
          "error": null,
          "logs": null,
          "metrics": {}
        }
        """

    @Test func replicatesUnfinishedPredictionExampleIsACreatedTask() {
        #expect(
            Self.read(ReplicateProfile(), Self.replicateStarting)
                == .events(
                    [TaskEvent(taskID: "ufawqhfynnddngldkgtslldrkq", provider: "replicate", status: .created)],
                    note: nil))
    }

    /// https://docs.fal.ai/model-endpoints/webhooks ("Successful result", "Response errors",
    /// "Payload errors").
    static let falOK = """
        {
          "request_id": "123e4567-e89b-12d3-a456-426614174000",
          "gateway_request_id": "123e4567-e89b-12d3-a456-426614174000",
          "status": "OK",
          "payload": {
            "images": [
              {
                "url": "https://url.to/image.png",
                "content_type": "image/png",
                "file_name": "image.png",
                "file_size": 1824075,
                "width": 1024,
                "height": 1024
              }
            ],
            "seed": 196619188014358660
          }
        }
        """
    static let falError = """
        {
          "request_id": "123e4567-e89b-12d3-a456-426614174000",
          "gateway_request_id": "123e4567-e89b-12d3-a456-426614174000",
          "status": "ERROR",
          "error": "Invalid status code: 422",
          "payload": {
            "detail": [
              {
                "loc": ["body", "prompt"],
                "msg": "field required",
                "type": "value_error.missing"
              }
            ]
          }
        }
        """
    static let falPayloadError = """
        {
          "request_id": "123e4567-e89b-12d3-a456-426614174000",
          "gateway_request_id": "123e4567-e89b-12d3-a456-426614174000",
          "status": "OK",
          "payload": null,
          "payload_error": "Response payload is not JSON serializable. Either return a JSON serializable object or use the queue endpoint to retrieve the response."
        }
        """

    @Test func falsThreeDocumentedResultsEndAsTheirRequest() throws {
        let id = "123e4567-e89b-12d3-a456-426614174000"
        #expect(
            Self.read(FalProfile(), Self.falOK)
                == .events(
                    [TaskEvent(taskID: id, provider: "fal", status: .completed, results: ["https://url.to/image.png"])],
                    note: nil))
        #expect(
            Self.read(FalProfile(), Self.falError)
                == .events(
                    [
                        TaskEvent(
                            taskID: id, provider: "fal", status: .failed,
                            error: "Invalid status code: 422 (body.prompt: field required)")
                    ], note: nil))
        guard case .events(let events, let note?) = Self.read(FalProfile(), Self.falPayloadError) else {
            Issue.record("payload_error is read as a completed request with a note")
            return
        }
        #expect(events == [TaskEvent(taskID: id, provider: "fal", status: .completed)])
        #expect(note.contains("fetch the result from the queue"))
    }

    /// Kling's "Callback Protocol" (https://app.klingai.com/cn/dev/document-api/apiReference/updateNotice,
    /// as https://docs.kkiai.com/Other-Model-APIs/kling-platform-api/async-task-callback-protocol.html
    /// and a mirror of the official page reproduce it): the documented fields with the page's own
    /// sample values (`created_at` 1722769557708, the image URL of its notes) where it gives them.
    static let klingSucceeded = """
        {
          "task_id": "CjhfG2dxbpcAAAAAAGtDJw",
          "task_status": "succeed",
          "task_status_msg": "",
          "created_at": 1722769557708,
          "updated_at": 1722769557708,
          "final_unit_deduction": "1",
          "task_info": {
            "parent_video": {"id": "v-0", "url": "https://h1.inkwai.com/bs2/upload-ylab-stunt/parent.mp4", "duration": "5"},
            "external_task_id": "my-job-42"
          },
          "task_result": {
            "images": [
              {"index": 0, "url": "https://h1.inkwai.com/bs2/upload-ylab-stunt/1fa0ac67d8ce6cd55b50d68b967b3a59.png"}
            ],
            "videos": [
              {"id": "v-1", "url": "https://h1.inkwai.com/bs2/upload-ylab-stunt/v-1.mp4", "duration": "5"}
            ]
          }
        }
        """

    @Test func klingsDocumentedCallbackKeepsTheCallersExternalTaskId() {
        #expect(
            Self.read(KlingProfile(), Self.klingSucceeded)
                == .events(
                    [
                        TaskEvent(
                            taskID: "CjhfG2dxbpcAAAAAAGtDJw", provider: "kling", status: .completed,
                            results: [
                                "https://h1.inkwai.com/bs2/upload-ylab-stunt/v-1.mp4",
                                "https://h1.inkwai.com/bs2/upload-ylab-stunt/1fa0ac67d8ce6cd55b50d68b967b3a59.png",
                            ], externalID: "my-job-42")
                    ], note: nil))
    }

    /// Freepik's GET-status example (docs.freepik.com, Kling task status pages, as quoted in
    /// ../shared/reference/providers.md §1.2; this session's search reached no Freepik page): the
    /// webhook sends it without the `data` wrapper, and some senders keep it.
    static let freepikRunning =
        #"{"data": {"generated": [], "task_id": "046b6c7f-0b8a-43b9-b35d-6489e6daee91", "status": "IN_PROGRESS"}}"#

    @Test func freepiksDocumentedStatusAnswerIsARunningTaskWrappedOrNot() {
        let expected = Normalized.events(
            [TaskEvent(taskID: "046b6c7f-0b8a-43b9-b35d-6489e6daee91", provider: "freepik", status: .inProgress)],
            note: nil)
        #expect(Self.read(FreepikProfile(), Self.freepikRunning) == expected)
        let bare = #"{"generated": [], "task_id": "046b6c7f-0b8a-43b9-b35d-6489e6daee91", "status": "IN_PROGRESS"}"#
        #expect(Self.read(FreepikProfile(), bare) == expected)
    }
}
