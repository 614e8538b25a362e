import ArgumentParser
import Crypto
import Foundation
import TaskhookClient
import TaskhookProviders

/// Builds a realistic callback for a provider, signs it exactly as that provider does, POSTs it
/// and reports the answer: an end-to-end check of a deployment, secret included.
struct SendTest: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send-test",
        abstract: "Send a signed test callback, as the provider would, and report the answer.",
        discussion: """
            freepik, replicate, standard-webhooks: HMAC-SHA256 over id.timestamp.body with --secret \
            (whsec_… is base64-decoded; freepik also takes a raw secret, see --key-mode). fal: Ed25519 with \
            the private JWK in --key (its public half must be in the route's JWKS). kling: unsigned; put the \
            route's token in URL. Exit 0 on a 2xx answer, 1 otherwise, 69 if nothing answered.
            """)

    enum Provider: String, ExpressibleByArgument, CaseIterable {
        case freepik, fal, kling, replicate
        case standardWebhooks = "standard-webhooks"
    }

    enum KeyMode: String, ExpressibleByArgument, CaseIterable {
        case standard, raw
    }

    @Argument(help: "The route's URL, e.g. http://127.0.0.1:8080/hooks/freepik")
    var url: String

    @Option(help: "The provider whose callback to imitate.")
    var provider: Provider

    @Option(help: "The route's signing secret (HMAC providers).")
    var secret: String?

    @Option(help: ArgumentHelp("A private Ed25519 JWK file (fal).", valueName: "file"))
    var key: String?

    @Option(help: "freepik: how the secret becomes key bytes (default: standard for whsec_…, else raw).")
    var keyMode: KeyMode?

    @Option(help: "The task id (default: a new random one).")
    var taskID: String?

    @Option(help: "created, in_progress, completed, failed or canceled.")
    var status: String = "completed"

    @Option(help: "standard-webhooks: the JSON body to send (it must match the route's pointers).")
    var body: String?

    func validate() throws {
        guard ["created", "in_progress", "completed", "failed", "canceled"].contains(status) else {
            throw ValidationError("--status must be created, in_progress, completed, failed or canceled")
        }
        switch provider {
        case .freepik, .replicate, .standardWebhooks:
            guard secret != nil else { throw ValidationError("--provider \(provider.rawValue) needs --secret") }
        case .fal:
            guard key != nil else { throw ValidationError("--provider fal needs --key FILE (a private Ed25519 JWK)") }
        case .kling:
            break
        }
        if provider == .standardWebhooks, body == nil {
            throw ValidationError("--provider standard-webhooks needs --body (the shape depends on the route)")
        }
    }

    func run() async throws {
        guard let location = URL(string: url), ["http", "https"].contains(location.scheme ?? "") else {
            printError("taskhook send-test: URL must be http(s)://…")
            throw ExitStatus.usage
        }
        let task = taskID ?? UUID().uuidString.lowercased()
        let callback: (headers: [(String, String)], body: Data)
        do {
            callback = try build(task: task)
        } catch let error as ValidationError {
            printError("taskhook send-test: \(error.message)")
            throw ExitStatus.usage
        }
        let answer: HTTPExchange.Answer
        do {
            answer = try await HTTPExchange.send(
                "POST", location, headers: [("Content-Type", "application/json")] + callback.headers,
                body: callback.body)
        } catch {
            printError("taskhook send-test: \(error)")
            throw ExitStatus.unavailable
        }
        print("sent \(provider.rawValue) callback for task \(task) (\(status))")
        print(
            "answer: \(answer.status) \(String(decoding: answer.body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))"
        )
        guard (200..<300).contains(answer.status) else { throw ExitStatus.problems }
    }

    func build(task: String) throws -> (headers: [(String, String)], body: Data) {
        let video = "https://cdn.example.com/taskhook-send-test/\(task).mp4"
        let completed = status == "completed"
        let timestamp = String(Int(Date().timeIntervalSince1970))
        switch provider {
        case .freepik:
            let words = [
                "created": "CREATED", "in_progress": "IN_PROGRESS", "completed": "COMPLETED", "failed": "FAILED",
            ]
            guard let word = words[status] else { throw ValidationError("freepik has no status \(status)") }
            let body = try json(["task_id": task, "status": word, "generated": completed ? [video] : []])
            let mode = keyMode ?? (secret!.hasPrefix("whsec_") ? .standard : .raw)
            let keyBytes = mode == .raw ? Data(secret!.utf8) : try whsecBytes(secret!)
            return (standardWebhooksHeaders(body, key: keyBytes, timestamp: timestamp), body)
        case .replicate:
            let words = [
                "created": "starting", "in_progress": "processing", "completed": "succeeded", "failed": "failed",
                "canceled": "canceled",
            ]
            var prediction: [String: Any] = [
                "id": task, "status": words[status]!, "model": "kwaivgi/kling-v2.1",
                "output": completed ? [video] : NSNull(),
            ]
            if status == "failed" { prediction["error"] = "taskhook send-test: a failure" }
            let body = try json(prediction)
            return (standardWebhooksHeaders(body, key: try whsecBytes(secret!), timestamp: timestamp), body)
        case .standardWebhooks:
            let body = Data(self.body!.utf8)
            return (standardWebhooksHeaders(body, key: try whsecBytes(secret!), timestamp: timestamp), body)
        case .kling:
            let words = [
                "created": "submitted", "in_progress": "processing", "completed": "succeed", "failed": "failed",
            ]
            guard let word = words[status] else { throw ValidationError("kling has no status \(status)") }
            var payload: [String: Any] = [
                "task_id": task, "task_status": word,
                "task_status_msg": status == "failed" ? "taskhook send-test: a failure" : "",
            ]
            if completed { payload["task_result"] = ["videos": [["id": task, "url": video, "duration": "5"]]] }
            return ([], try json(payload))
        case .fal:
            // fal calls back once, at the end: OK or ERROR.
            guard completed || status == "failed" else {
                throw ValidationError("fal has no status \(status); it sends completed (OK) or failed (ERROR)")
            }
            var payload: [String: Any] = [
                "request_id": task, "gateway_request_id": task, "status": completed ? "OK" : "ERROR",
            ]
            if completed {
                payload["payload"] = ["video": ["url": video, "content_type": "video/mp4"]]
            } else {
                payload["error"] = "taskhook send-test: a failure"
                payload["payload"] = NSNull()
            }
            let body = try json(payload)
            let signer = try falKey(key!)
            let user = "taskhook-send-test"
            let digest = SHA256.hash(data: body).map { String(format: "%02x", $0) }.joined()
            let message = Data("\(task)\n\(user)\n\(timestamp)\n\(digest)".utf8)
            let signature = try signer.signature(for: message).map { String(format: "%02x", $0) }.joined()
            return (
                [
                    ("X-Fal-Webhook-Request-Id", task), ("X-Fal-Webhook-User-Id", user),
                    ("X-Fal-Webhook-Timestamp", timestamp), ("X-Fal-Webhook-Signature", signature),
                ], body
            )
        }
    }

    func json(_ object: Any) throws -> Data {
        try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
    }

    /// Standard Webhooks: `v1,` + base64(HMAC-SHA256(key, "id.timestamp.body")).
    func standardWebhooksHeaders(_ body: Data, key: Data, timestamp: String) -> [(String, String)] {
        let id = "msg_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        var signed = Data("\(id).\(timestamp).".utf8)
        signed.append(body)
        let mac = HMAC<SHA256>.authenticationCode(for: signed, using: SymmetricKey(data: key))
        return [
            ("webhook-id", id), ("webhook-timestamp", timestamp),
            ("webhook-signature", "v1," + Data(mac).base64EncodedString()),
        ]
    }

    func whsecBytes(_ secret: String) throws -> Data {
        let encoded = secret.hasPrefix("whsec_") ? String(secret.dropFirst(6)) : secret
        guard let bytes = Data(base64Encoded: Self.padded(encoded)) else {
            throw ValidationError("--secret is not whsec_ followed by base64")
        }
        return bytes
    }

    func falKey(_ path: String) throws -> Curve25519.Signing.PrivateKey {
        guard let data = FileManager.default.contents(atPath: path),
            let jwk = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { throw ValidationError("--key \(path): not a readable JSON file") }
        guard jwk["kty"] as? String == "OKP", jwk["crv"] as? String == "Ed25519", let d = jwk["d"] as? String,
            let seed = Data(
                base64Encoded: Self.padded(
                    d.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/"))),
            let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: seed)
        else { throw ValidationError("--key \(path): not a private Ed25519 JWK (kty OKP, crv Ed25519, d)") }
        return key
    }

    static func padded(_ base64: String) -> String {
        base64 + String(repeating: "=", count: (4 - base64.count % 4) % 4)
    }
}
