import TaskhookCore

/// Kling's own API callback (api.klingai.com): unsigned, so a route is authenticated by its secret
/// path token; the body is `{"task_id", "task_status", "task_status_msg", "task_result": {"videos":
/// [{"url"}…]}}`, bare or inside the poll answer's `{"code", "data": {…}}`.
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
            let videos = task["task_result"]?["videos"]?.array ?? []
            let event = TaskEvent(
                taskID: taskID,
                provider: Self.name,
                status: status,
                results: videos.compactMap { $0["url"]?.string },
                error: status == .failed ? task.text("task_status_msg") : nil)
            return .events([event], note: nil)
        } catch {
            return .unparsed(reason: error.reason)
        }
    }
}
