import Crypto
import TaskhookCore

/// fal.ai's queue callback, sent once when a request is done: Ed25519 over
/// `request_id \n user_id \n timestamp \n hex(sha256(body))` with keys from a JWKS file, and a body
/// `{"request_id", "status": "OK"|"ERROR", "payload", "error"?, "payload_error"?}`.
public struct FalProfile: ProviderProfile, Equatable {
    public static let name = "fal"
    public static let settingKeys = ["jwks", "user-id"]
    public static let authentication = Authentication.keys("jwks")
    public static let signingKeyKind = SigningKeyKind.ed25519

    /// The user id test callbacks are signed as.
    public static let testUserID = "taskhook-send-test"

    static let statusWords = StatusWords(["OK": .completed, "ERROR": .failed])

    /// The JWKS file `taskhook jwks fetch` keeps fresh; re-read when it is replaced.
    public var jwksFile: String?
    /// The fal account whose callbacks the route accepts (`X-Fal-Webhook-User-Id`): fal's keys
    /// are shared by every account, so any fal user could otherwise make fal sign callbacks to
    /// this URL.
    public var userID: String?

    public init(jwksFile: String? = nil, userID: String? = nil) {
        self.jwksFile = jwksFile
        self.userID = userID
    }

    public init() {
        self.init(jwksFile: nil)
    }

    public init(settings: SettingsMapping, warnings: inout [String]) throws(SettingError) {
        var jwksFile: String?
        if let node = settings["jwks"] {
            let jwks = try node.requireMapping()
            jwksFile = try jwks.require("file").requireString()
            try jwks.finish()
        }
        var userID: String?
        if let node = settings["user-id"] {
            userID = try node.requireString()
            guard userID?.isEmpty == false else { throw node.error("the fal user id is empty") }
        }
        self.init(jwksFile: jwksFile, userID: userID)
    }

    public static func refusal(of key: String) -> String? {
        key == "secret" ? "fal routes verify with jwks, not a secret" : nil
    }

    public var hasKeys: Bool { jwksFile != nil }

    public func verifier(keys: any KeyLoader, toleranceSeconds: Int64) throws(ProviderConfigurationError)
        -> (any SignatureVerifier)?
    {
        guard let jwksFile else { return nil }
        let signature = try keys.verifier(reloading: jwksFile, key: "jwks", label: "fal JWKS") {
            bytes throws(ProviderConfigurationError) in
            let verifier = try FalVerifier(jwks: bytes, toleranceSeconds: toleranceSeconds)
            return (verifier, verifier.keys.count)
        }
        return userID.map { FalUserCheck(signature: signature, userID: $0) } ?? signature
    }

    /// fal sends no delivery id: a redelivery repeats the request id and status, the fallback key.
    public func deliveryID(of callback: Callback) -> String? { nil }

    public func keepsOwnHeader(_ name: String) -> Bool { name.hasPrefix("x-fal-") }

    public var statusWords: StatusWords { Self.statusWords }

    public func sign(_ body: [UInt8], taskID: String, deliveryID: String, timestamp: Int64, with key: SigningKey)
        throws(ProviderConfigurationError) -> [Delivery.Header]
    {
        guard case .ed25519(let privateKey) = key else {
            throw ProviderConfigurationError("fal signs with an Ed25519 private key, not a secret")
        }
        return FalVerifier.sign(body, requestID: taskID, userID: Self.testUserID, timestamp: timestamp, key: privateKey)
    }

    public func testBody(taskID: String, status: TaskStatus, resultURL: String) throws(ProviderConfigurationError)
        -> [UInt8]?
    {
        guard let word = statusWords.word(for: status) else {
            throw ProviderConfigurationError(
                "fal has no status \(status.rawValue); it sends completed (OK) or failed (ERROR)")
        }
        var body: [(key: String, value: JSON)] = [
            ("request_id", .string(taskID)), ("gateway_request_id", .string(taskID)), ("status", .string(word)),
        ]
        if status == .completed {
            body.append(("payload", ["video": ["url": .string(resultURL), "content_type": "video/mp4"]]))
        } else {
            body.append(("error", "the test callback's failure"))
            body.append(("payload", .null))
        }
        return JSON.object(body).bytes
    }

    public func normalize(_ callback: Callback) -> Normalized {
        do throws(PayloadProblem) {
            let task = try TaskObject(body: callback.body)
            let requestID = try task.identifier("request_id")
            let status = try task.status("status", provider: "fal", words: Self.statusWords)
            let payload = task["payload"] ?? .null
            var event = TaskEvent(taskID: requestID, provider: Self.name, status: status)
            var note: String? = nil
            if status == .failed {
                event.error = Self.errorMessage(task["error"]?.string, payload: payload)
            } else if let payloadError = task["payload_error"], !payloadError.isNull {
                // fal could not serialize the output: the request succeeded but its results must be fetched
                // from the queue's response_url.
                let detail = payloadError.string.map { ": \($0)" } ?? ""
                note = "fal sent no payload (payload_error\(detail)); fetch the result from the queue"
            } else {
                // The model's video first, then every other URL the output mentions.
                event.results = TaskObject.httpURLs(in: [payload["video"]?["url"] ?? .null, payload])
            }
            return .events([event], note: note)
        } catch {
            return .unparsed(reason: error.reason)
        }
    }

    /// fal's `error`, followed by the validation details of a FastAPI-style `payload.detail`, e.g.
    /// "Invalid status code: 422 (body.prompt: field required)".
    static func errorMessage(_ error: String?, payload: JSON) -> String? {
        var details: [String] = []
        if let text = payload["detail"]?.string { details.append(text) }
        for item in payload["detail"]?.array ?? [] {
            guard let message = item["msg"]?.string else { continue }
            let location = (item["loc"]?.array ?? []).compactMap { $0.string ?? $0.numberText }
            details.append(location.isEmpty ? message : "\(location.joined(separator: ".")): \(message)")
        }
        let detail = details.isEmpty ? nil : details.joined(separator: "; ")
        switch (error.flatMap { $0.isEmpty ? nil : $0 }, detail) {
        case (let error?, let detail?): return "\(error) (\(detail))"
        case (let error?, nil): return error
        case (nil, let detail?): return detail
        case (nil, nil): return nil
        }
    }

}

/// A fal route's `user-id`: after the signature, the signed `X-Fal-Webhook-User-Id` must be the
/// route's account (compared in constant time, though a user id is no secret).
struct FalUserCheck: SignatureVerifier {
    let signature: any SignatureVerifier
    let userID: String

    func verify(_ callback: Callback) -> VerificationFailure? {
        if let failure = signature.verify(callback) { return failure }
        let sent = callback.header("x-fal-webhook-user-id") ?? ""
        guard sent.utf8.count == userID.utf8.count, zip(sent.utf8, userID.utf8).reduce(0, { $0 | ($1.0 ^ $1.1) }) == 0
        else {
            return VerificationFailure(
                "X-Fal-Webhook-User-Id \(sent.quotedForReason) is not this route's fal user (user-id)")
        }
        return nil
    }
}
