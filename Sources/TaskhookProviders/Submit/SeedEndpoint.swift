import TaskhookCore

/// The create endpoints `taskhook submit` speaks: the seeds' five, plus Kling's own API. Each knows
/// its request schema, where its create and status calls go, where the callback URL is given, and
/// which credential it takes.
public enum SeedEndpoint: String, CaseIterable, Sendable {
    case freepikKlingV25Pro = "freepik/kling-v2-5-pro"
    case freepikKlingV2 = "freepik/kling-v2"
    case freepikKlingElementsPro = "freepik/kling-elements-pro"
    case freepikKlingV21Std = "freepik/kling-v2-1-std"
    /// fal's queue, `fal_webhook` in the query.
    case falKlingV25TurboPro = "fal/kling-video-v2.5-turbo-pro"
    /// Seed 004: fal's model through an aggregator whose API has no webhook field (polled only).
    case aggregatorKlingV25TurboPro = "aggregator/kling-video-v2.5-turbo-pro"
    /// Kling's own API (`callback_url`, JWT from an access key and a secret key).
    case klingImageToVideo = "kling/image2video"

    /// The provider profile whose normalizer reads this endpoint's callbacks and status answers.
    public var provider: String {
        switch self {
        case .freepikKlingV25Pro, .freepikKlingV2, .freepikKlingElementsPro, .freepikKlingV21Std: "freepik"
        case .falKlingV25TurboPro, .aggregatorKlingV25TurboPro: "fal"
        case .klingImageToVideo: "kling"
        }
    }

    /// The API account its calls count against, as the reconciler's rates and quiet periods are
    /// keyed: `freepik`, `fal`, `aggregator`, `kling` (the aggregator is fal's model behind another
    /// host and key, so its limits are its own).
    public var vendor: String { String(rawValue.prefix { $0 != "/" }) }

    public var schema: RequestSchema {
        switch self {
        case .freepikKlingV25Pro: SeedSchemas.freepikKlingV25Pro
        case .freepikKlingV2: SeedSchemas.freepikKlingV2
        case .freepikKlingElementsPro: SeedSchemas.freepikKlingElementsPro
        case .freepikKlingV21Std: SeedSchemas.freepikKlingV21Std
        case .falKlingV25TurboPro: SeedSchemas.falKlingV25TurboPro
        case .aggregatorKlingV25TurboPro: SeedSchemas.aggregatorKlingV25TurboPro
        case .klingImageToVideo: SeedSchemas.klingImageToVideo
        }
    }

    /// The production base URL; every one can be replaced (`--base-url`, `taskhook simulate`).
    public var defaultBaseURL: String {
        switch self {
        case .freepikKlingV25Pro, .freepikKlingV2, .freepikKlingElementsPro, .freepikKlingV21Std:
            "https://api.freepik.com"
        case .falKlingV25TurboPro: "https://queue.fal.run"
        case .aggregatorKlingV25TurboPro: "https://api.chainhub.tech"
        case .klingImageToVideo: "https://api.klingai.com"
        }
    }

    public var createPath: String {
        switch self {
        case .freepikKlingV25Pro: "/v1/ai/image-to-video/kling-v2-5-pro"
        case .freepikKlingV2: "/v1/ai/image-to-video/kling-v2"
        case .freepikKlingElementsPro: "/v1/ai/image-to-video/kling-elements-pro"
        case .freepikKlingV21Std: "/v1/ai/image-to-video/kling-v2-1-std"
        case .falKlingV25TurboPro, .aggregatorKlingV25TurboPro: "/fal-ai/kling-video/v2.5-turbo/pro/image-to-video"
        case .klingImageToVideo: "/v1/videos/image2video"
        }
    }

    /// The status GET of a task, for the endpoints whose path is fixed by the task id. Freepik's
    /// differ from their POST paths for elements-pro (`kling-elements`) and v2-1-std (`kling-v2-1`).
    /// nil for fal and the aggregator, whose create answer names its `status_url`.
    public func statusPath(taskID: String) -> String? {
        switch self {
        case .freepikKlingV25Pro: "/v1/ai/image-to-video/kling-v2-5-pro/\(taskID)"
        case .freepikKlingV2: "/v1/ai/image-to-video/kling-v2/\(taskID)"
        case .freepikKlingElementsPro: "/v1/ai/image-to-video/kling-elements/\(taskID)"
        case .freepikKlingV21Std: "/v1/ai/image-to-video/kling-v2-1/\(taskID)"
        case .falKlingV25TurboPro, .aggregatorKlingV25TurboPro: nil
        case .klingImageToVideo: "/v1/videos/image2video/\(taskID)"
        }
    }

    /// Where a task's status (and for fal's queue, its result) is read, built from its id when no
    /// create answer named them (a task registered with `taskhook expect` and no `--poll-url`). fal's
    /// queue URLs follow one documented pattern under the model's app id, `fal-ai/kling-video`; the
    /// aggregator serves the same paths on its own host.
    public func pollURLs(taskID: String, baseURL: String) -> SubmittedTask {
        if let path = statusPath(taskID: taskID) {
            return SubmittedTask(taskID: taskID, statusURL: Self.join(baseURL, path))
        }
        let request = Self.join(baseURL, "/fal-ai/kling-video/requests/" + Self.queryEncoded(taskID))
        return SubmittedTask(taskID: taskID, statusURL: request + "/status", resultURL: request)
    }

    /// Where the callback URL goes in a create request.
    public var callbackParameter: CallbackParameter {
        switch self {
        case .freepikKlingV25Pro, .freepikKlingV2, .freepikKlingElementsPro, .freepikKlingV21Std:
            .bodyField("webhook_url")
        case .falKlingV25TurboPro: .queryParameter("fal_webhook")
        case .aggregatorKlingV25TurboPro: .none
        case .klingImageToVideo: .bodyField("callback_url")
        }
    }

    public var credential: CredentialKind {
        switch self {
        case .freepikKlingV25Pro, .freepikKlingV2, .freepikKlingElementsPro, .freepikKlingV21Std: .freepikAPIKey
        case .falKlingV25TurboPro: .falKey
        case .aggregatorKlingV25TurboPro: .bearerToken
        case .klingImageToVideo: .klingAccessKeyPair
        }
    }

    /// The smallest request the seed accepts, with the seed's own example values
    /// (`taskhook submit ENDPOINT --example` prints it as a start for a parameter file).
    public var exampleParameters: JSON {
        switch self {
        case .freepikKlingV25Pro: ["duration": "5"]
        case .freepikKlingV2: ["image": "https://example.com/cat.jpg", "duration": "5"]
        case .freepikKlingElementsPro: ["images": ["https://example.com/a.jpg"]]
        case .freepikKlingV21Std: ["duration": "10", "prompt": "a cat turns its head"]
        case .falKlingV25TurboPro, .aggregatorKlingV25TurboPro:
            ["prompt": "two cars race", "image_url": "https://example.com/car.jpg"]
        case .klingImageToVideo: ["image": "https://example.com/i.jpg"]
        }
    }

    /// The endpoint a command line names, with the known names in the error.
    public static func named(_ name: String) throws(SubmitError) -> SeedEndpoint {
        guard let endpoint = SeedEndpoint(rawValue: name) else {
            throw SubmitError.usage(
                "unknown endpoint \"\(name)\"; known: \(allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return endpoint
    }
}

/// Where a create request carries the callback URL.
public enum CallbackParameter: Sendable, Equatable {
    case bodyField(String)
    case queryParameter(String)
    /// The API has none: the task is tracked by polling only.
    case none
}

/// The credential an endpoint's calls are authenticated with.
public enum CredentialKind: Sendable, Equatable {
    /// Freepik: `x-freepik-api-key: KEY`.
    case freepikAPIKey
    /// fal: `Authorization: Key KEY`.
    case falKey
    /// The aggregator: `Authorization: Bearer KEY`.
    case bearerToken
    /// Kling: `Authorization: Bearer <JWT HS256>` signed with the secret key, issued by the access key.
    case klingAccessKeyPair

    /// The names of the secrets it needs, as credential, file or environment names take them.
    public var secretNames: [String] {
        switch self {
        case .freepikAPIKey: ["freepik-api-key"]
        case .falKey: ["fal-key"]
        case .bearerToken: ["aggregator-api-key"]
        case .klingAccessKeyPair: ["kling-access-key", "kling-secret-key"]
        }
    }
}
