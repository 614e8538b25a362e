import TaskhookCore

/// Kling's own API callback (api.klingai.com): unsigned, so a route is authenticated by its secret
/// path token; the body is `{"task_id", "task_status", "task_status_msg", "task_info":
/// {"external_task_id"}, "task_result": {"videos": [{"url"}…], "images": [{"url"}…]}}`, bare or
/// inside the poll answer's `{"code", "data": {…}}` (Kling's "Callback Protocol" page,
/// https://app.klingai.com/cn/dev/document-api/apiReference/updateNotice, as its copies show it,
/// e.g. https://docs.kkiai.com/Other-Model-APIs/kling-platform-api/async-task-callback-protocol.html).
/// The caller's
/// `external_task_id` is kept on the task (`GET /v1/tasks?external=`).
///
/// Kling's documentation shows no signature and no second callback shape (checked 2026-12-01);
/// neither is accepted until it does.
public struct KlingProfile: ProviderProfile, Equatable {
    public static let name = "kling"
    public static let settingKeys: [String] = []
    public static let authentication = Authentication.pathToken("Kling signs nothing")
    public static let signingKeyKind = SigningKeyKind.none

    static let statusWords = StatusWords([
        "submitted": .created, "processing": .inProgress, "succeed": .completed, "failed": .failed,
    ])

    public init() {}

    public init(settings: SettingsMapping, warnings: inout [String]) throws(SettingError) {}

    public static func refusal(of key: String) -> String? {
        key == "secret" ? "Kling signs nothing; a kling route is authenticated by its token" : nil
    }

    public var hasKeys: Bool { false }

    public func verifier(keys: any KeyLoader, toleranceSeconds: Int64) throws(ProviderConfigurationError)
        -> (any SignatureVerifier)?
    { nil }

    /// Kling sends no delivery id: dedupe falls back to task and status.
    public func deliveryID(of callback: Callback) -> String? { nil }

    public func keepsOwnHeader(_ name: String) -> Bool { false }

    public var statusWords: StatusWords { Self.statusWords }

    /// Nothing: Kling signs nothing.
    public func sign(_ body: [UInt8], taskID: String, deliveryID: String, timestamp: Int64, with key: SigningKey)
        throws(ProviderConfigurationError) -> [Delivery.Header]
    { [] }

    public func testBody(taskID: String, status: TaskStatus, resultURL: String) throws(ProviderConfigurationError)
        -> [UInt8]?
    {
        let word = try statusWords.requireWord(for: status, provider: Self.name)
        var body: [(key: String, value: JSON)] = [
            ("task_id", .string(taskID)), ("task_status", .string(word)),
            ("task_status_msg", status == .failed ? "the test callback's failure" : ""),
        ]
        body.append(("task_info", ["external_task_id": .string("send-test-\(taskID)")]))
        if status == .completed {
            body.append(
                ("task_result", ["videos": [["id": .string(taskID), "url": .string(resultURL), "duration": "5"]]]))
        }
        return JSON.object(body).bytes
    }

    public func normalize(_ callback: Callback) -> Normalized {
        do throws(PayloadProblem) {
            let task = try TaskObject(body: callback.body, unwrappingDataWithout: "task_id")
            let taskID = try task.identifier("task_id")
            let status = try task.status("task_status", provider: "Kling", words: Self.statusWords)
            // Videos first, then images (image tasks send `task_result.images`).
            let media = (task["task_result"]?["videos"]?.array ?? []) + (task["task_result"]?["images"]?.array ?? [])
            let external = task["task_info"]?["external_task_id"]?.string
            let event = TaskEvent(
                taskID: taskID,
                provider: Self.name,
                status: status,
                results: media.compactMap { $0["url"]?.string },
                error: status == .failed ? task.text("task_status_msg") : nil,
                externalID: external.flatMap { $0.isEmpty ? nil : $0 })
            return .events([event], note: nil)
        } catch {
            return .unparsed(reason: error.reason)
        }
    }
}
