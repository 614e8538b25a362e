import TaskhookCore

/// One HTTP request to a provider, built as a value so that what is sent is testable without a
/// network; the command line sends it (URLSession).
public struct OutboundRequest: Sendable, Equatable {
    public var method: String
    public var url: String
    public var headers: [Delivery.Header]
    public var body: [UInt8]?

    public init(method: String, url: String, headers: [Delivery.Header], body: [UInt8]? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }
}

/// What authenticates calls to a provider's API (never a flag's value: see `APIKeySource`).
public enum ProviderCredentials: Sendable, Equatable {
    case apiKey(String)
    case accessKeyPair(accessKey: String, secretKey: String)
}

/// A task the provider accepted: its id and where its status (and, for fal, its result) is read.
public struct SubmittedTask: Sendable, Equatable {
    public var taskID: String
    public var statusURL: String
    public var resultURL: String?

    public init(taskID: String, statusURL: String, resultURL: String? = nil) {
        self.taskID = taskID
        self.statusURL = statusURL
        self.resultURL = resultURL
    }
}

extension SeedEndpoint {
    /// The create request for `parameters`, with `callbackURL` put where this API takes it. Checked
    /// against the seed schema first: a refused request throws before anything is sent.
    public func createRequest(
        parameters: JSON, callbackURL: String?, baseURL: String, credentials: ProviderCredentials, now: Int64
    ) throws(SubmitError) -> OutboundRequest {
        var body = parameters
        var url = Self.join(baseURL, createPath)
        switch callbackParameter {
        case .bodyField(let name):
            if parameters[name] != nil {
                throw .usage("\(name) is set by taskhook from the public URL and route; leave it out of the parameters")
            }
            if let callbackURL, case .object(var members) = body {
                members.append((key: name, value: .string(callbackURL)))
                body = .object(members)
            }
        case .queryParameter(let name):
            if let callbackURL { url += "?\(name)=" + Self.queryEncoded(callbackURL) }
        case .none:
            break
        }
        let refusals = schema.validate(body)
        guard refusals.isEmpty else { throw .invalidRequest(refusals) }
        return OutboundRequest(
            method: "POST", url: url,
            headers: try authorization(credentials, now: now) + [
                Delivery.Header(name: "Content-Type", value: "application/json")
            ],
            body: body.bytes)
    }

    /// The task the create answer names, with the URLs its status is read from.
    public func readCreateAnswer(status: Int, body: [UInt8], baseURL: String) throws(SubmitError) -> SubmittedTask {
        let answer = try Self.successBody(status: status, body: body)
        switch self {
        case .freepikKlingV25Pro, .freepikKlingV2, .freepikKlingElementsPro, .freepikKlingV21Std, .klingImageToVideo:
            guard let taskID = answer["data"]?["task_id"]?.string, !taskID.isEmpty else {
                throw .unreadableAnswer("no data.task_id in \(Self.excerpt(body))")
            }
            return SubmittedTask(taskID: taskID, statusURL: Self.join(baseURL, statusPath(taskID: taskID) ?? ""))
        case .falKlingV25TurboPro, .aggregatorKlingV25TurboPro:
            guard let taskID = answer["request_id"]?.string, !taskID.isEmpty,
                let statusURL = answer["status_url"]?.string, let resultURL = answer["response_url"]?.string
            else { throw .unreadableAnswer("no request_id, status_url and response_url in \(Self.excerpt(body))") }
            // The aggregator answers with fal's own queue URLs; its users read them through its host.
            guard self == .aggregatorKlingV25TurboPro else {
                return SubmittedTask(taskID: taskID, statusURL: statusURL, resultURL: resultURL)
            }
            return SubmittedTask(
                taskID: taskID, statusURL: Self.rehosted(statusURL, onto: baseURL),
                resultURL: Self.rehosted(resultURL, onto: baseURL))
        }
    }

    /// A GET of `url` (a status or result URL) with this API's authentication.
    public func readRequest(_ url: String, credentials: ProviderCredentials, now: Int64) throws(SubmitError)
        -> OutboundRequest
    {
        OutboundRequest(method: "GET", url: url, headers: try authorization(credentials, now: now))
    }

    func authorization(_ credentials: ProviderCredentials, now: Int64) throws(SubmitError) -> [Delivery.Header] {
        switch (credential, credentials) {
        case (.freepikAPIKey, .apiKey(let key)): return [Delivery.Header(name: "x-freepik-api-key", value: key)]
        case (.falKey, .apiKey(let key)): return [Delivery.Header(name: "Authorization", value: "Key \(key)")]
        case (.bearerToken, .apiKey(let key)): return [Delivery.Header(name: "Authorization", value: "Bearer \(key)")]
        case (.klingAccessKeyPair, .accessKeyPair(let access, let secret)):
            let token = KlingToken.make(accessKey: access, secretKey: secret, now: now)
            return [Delivery.Header(name: "Authorization", value: "Bearer \(token)")]
        case (.klingAccessKeyPair, .apiKey):
            throw .usage("\(rawValue) needs an access key and a secret key (kling-access-key, kling-secret-key)")
        case (_, .accessKeyPair):
            throw .usage("\(rawValue) takes one API key (\(credential.secretNames[0])), not a key pair")
        }
    }

    /// The JSON of a 2xx answer; otherwise the error its status means.
    static func successBody(status: Int, body: [UInt8], retryAfter: Double? = nil) throws(SubmitError) -> JSON {
        switch status {
        case 200..<300:
            guard let json = try? JSON.parse(body), json.isObject else {
                throw .unreadableAnswer("not a JSON object: \(excerpt(body))")
            }
            return json
        case 429, 500...599: throw .unavailable(status: status, retryAfter: retryAfter)
        default:
            let message = (try? JSON.parse(body))?["message"]?.string ?? excerpt(body)
            throw .refused(status: status, message: message)
        }
    }

    static func excerpt(_ body: [UInt8]) -> String {
        let text = String(decoding: body.prefix(200), as: UTF8.self)
        return body.count > 200 ? text + "…" : text
    }

    static func join(_ baseURL: String, _ path: String) -> String {
        var base = Substring(baseURL)
        while base.hasSuffix("/") { base = base.dropLast() }
        return base + path
    }

    /// `url` with its scheme, host and port replaced by those of `baseURL`.
    static func rehosted(_ url: String, onto baseURL: String) -> String {
        guard let schemeEnd = url.firstRange(of: "://") else { return url }
        let rest = url[schemeEnd.upperBound...]
        let path = rest.firstIndex(of: "/").map { String(rest[$0...]) } ?? "/"
        return join(baseURL, path)
    }

    static func queryEncoded(_ text: String) -> String {
        let unreserved = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~".utf8)
        var out = ""
        for byte in text.utf8 {
            if unreserved.contains(byte) {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return out
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
