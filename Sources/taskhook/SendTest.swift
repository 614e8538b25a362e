import ArgumentParser
import Foundation
import TaskhookClient
import TaskhookCore
import TaskhookProviders

/// Builds a realistic callback for a provider, signs it exactly as that provider does (its profile
/// does both), POSTs it and reports the answer: an end-to-end check of a deployment, secret included.
struct SendTest: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send-test",
        abstract: "Send a signed test callback, as the provider would, and report the answer.",
        discussion: """
            freepik, replicate, standard-webhooks: HMAC-SHA256 over id.timestamp.body with --secret \
            (whsec_… is base64-decoded; freepik also takes a raw secret, see --key-mode); standard-webhooks \
            signs v1a with --key instead. fal: Ed25519 with the private JWK in --key (its public half must be \
            in the route's JWKS). kling: unsigned; put the route's token in URL. Exit 0 on a 2xx answer, 1 \
            otherwise, 69 if nothing answered.
            """)

    @Argument(help: "The route's URL, e.g. http://127.0.0.1:8080/hooks/freepik")
    var url: String

    @Option(
        help: ArgumentHelp(
            "The provider whose callback to imitate: \(ProviderProfiles.names.joined(separator: ", ")).",
            valueName: "provider"))
    var provider: String

    @Option(help: "The route's signing secret (HMAC providers).")
    var secret: String?

    @Option(help: ArgumentHelp("A private Ed25519 JWK file (fal; standard-webhooks v1a).", valueName: "file"))
    var key: String?

    @Option(
        help: "freepik: standard or raw, how the secret becomes key bytes (default: standard for whsec_…, else raw).")
    var keyMode: String?

    @Option(help: "The task id (default: a new random one).")
    var taskID: String?

    @Option(help: "created, in_progress, completed, failed or canceled.")
    var status: String = "completed"

    @Option(help: "The JSON body to send (standard-webhooks: required, it must match the route's pointers).")
    var body: String?

    func validate() throws {
        guard let profile = ProviderProfiles.named(provider) else {
            throw ValidationError("--provider must be one of \(ProviderProfiles.names.joined(separator: ", "))")
        }
        guard TaskStatus(rawValue: status) != nil else {
            let statuses = TaskStatus.allCases.map(\.rawValue)
            throw ValidationError(
                "--status must be \(statuses.dropLast().joined(separator: ", ")) or \(statuses[statuses.count - 1])")
        }
        switch profile.signingKeyKind {
        case .secret:
            guard secret != nil else { throw ValidationError("--provider \(provider) needs --secret") }
        case .ed25519:
            guard key != nil else {
                throw ValidationError("--provider \(provider) needs --key FILE (a private Ed25519 JWK)")
            }
        case .secretOrEd25519:
            guard secret != nil || key != nil else {
                throw ValidationError("--provider \(provider) needs --secret (or --key FILE, a private Ed25519 JWK)")
            }
        case .none:
            break
        }
        if let keyMode {
            guard profile == FreepikProfile.self else { throw ValidationError("--key-mode applies to freepik only") }
            guard FreepikProfile.KeyMode(rawValue: keyMode) != nil else {
                throw ValidationError("--key-mode must be standard or raw")
            }
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
        print("sent \(provider) callback for task \(task) (\(status))")
        print(
            "answer: \(answer.status) \(String(decoding: answer.body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))"
        )
        guard (200..<300).contains(answer.status) else { throw ExitStatus.problems }
    }

    /// The profile builds the body and signs it; this only says with what.
    func build(task: String) throws -> (headers: [(String, String)], body: Data) {
        guard let profileType = ProviderProfiles.named(provider), let taskStatus = TaskStatus(rawValue: status) else {
            throw ValidationError("--provider or --status is not known")
        }
        let profile: any ProviderProfile =
            keyMode.flatMap(FreepikProfile.KeyMode.init(rawValue:)).map { FreepikProfile(keyMode: $0) }
            ?? profileType.init()
        let bytes: [UInt8]
        if let body {
            bytes = Array(body.utf8)
        } else {
            let video = "https://cdn.example.com/taskhook-send-test/\(task).mp4"
            guard
                let built = try usage({ () throws(ProviderConfigurationError) in
                    try profile.testBody(taskID: task, status: taskStatus, resultURL: video)
                })
            else {
                throw ValidationError("--provider \(provider) needs --body (the shape depends on the route)")
            }
            bytes = built
        }
        let signingKey: SigningKey?
        switch profileType.signingKeyKind {
        case .none: signingKey = nil
        case .secret: signingKey = secret.map { .secret($0) }
        case .ed25519: signingKey = try key.map(privateKey)
        case .secretOrEd25519: signingKey = try secret.map { .secret($0) } ?? key.map(privateKey)
        }
        guard let signingKey else { return ([], Data(bytes)) }
        let deliveryID = "msg_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let headers = try usage { () throws(ProviderConfigurationError) in
            try profile.sign(
                bytes, taskID: task, deliveryID: deliveryID, timestamp: Int64(Date().timeIntervalSince1970),
                with: signingKey)
        }
        return (headers.map { ($0.name, $0.value) }, Data(bytes))
    }

    /// A signing key from a private JWK file.
    func privateKey(_ path: String) throws -> SigningKey {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ValidationError("--key \(path): not a readable file")
        }
        do {
            return try SigningKey(privateJWK: Array(data))
        } catch {
            throw ValidationError("--key \(path): \(error.reason)")
        }
    }

    /// What the profile refuses, as a usage error.
    func usage<T>(_ body: () throws(ProviderConfigurationError) -> T) throws -> T {
        do {
            return try body()
        } catch {
            throw ValidationError(error.reason)
        }
    }
}
