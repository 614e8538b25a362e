import Crypto
import TaskhookCore

/// Any other Standard Webhooks sender: v1 (HMAC-SHA256) and v1a (Ed25519) signatures, and a body
/// whose task id, status, results and error are found by JSON pointers, its status words mapped by
/// the route (`status-map`).
public struct StandardWebhooksProfile: StandardWebhooksSender, Equatable {
    public static let name = "standard-webhooks"
    public static let settingKeys = [
        "secret", "secrets", "public-key", "public-keys", "name", "task-id", "status", "results", "error",
        "status-map",
    ]
    public static let authentication = Authentication.keys("secret or public-key")
    public static let signingKeyKind = SigningKeyKind.secretOrEd25519

    /// The `provider` of the events: the route's `name:`, by default the profile's.
    public var eventProvider: String
    /// `whsec_…` HMAC secrets (`v1`): one, or during a rotation the new one and the old ones.
    public var secrets: [SecretSource]
    /// `whpk_…` Ed25519 public keys (`v1a`), likewise.
    public var publicKeys: [SecretSource]
    /// The one secret (the first of several).
    public var secret: SecretSource? {
        get { secrets.first }
        set { secrets = newValue.map { [$0] } ?? [] }
    }
    /// The one public key (the first of several).
    public var publicKey: SecretSource? {
        get { publicKeys.first }
        set { publicKeys = newValue.map { [$0] } ?? [] }
    }
    public var taskID: JSONPointer
    public var status: JSONPointer
    /// A string or an array of strings; absent or null means no results.
    public var results: JSONPointer?
    public var error: JSONPointer?
    /// The sender's status words, each to a normalized status.
    public var statusMap: [String: TaskStatus]

    public init(
        name: String = Self.name, taskID: JSONPointer, status: JSONPointer, results: JSONPointer? = nil,
        error: JSONPointer? = nil, statusMap: [String: TaskStatus], secrets: [SecretSource] = [],
        publicKeys: [SecretSource] = []
    ) {
        eventProvider = name
        self.taskID = taskID
        self.status = status
        self.results = results
        self.error = error
        self.statusMap = statusMap
        self.secrets = secrets
        self.publicKeys = publicKeys
    }

    /// A profile for signing only (`taskhook send-test`): no keys, no status words, pointers at the root.
    public init() {
        self.init(taskID: .root, status: .root, statusMap: [:])
    }

    public init(settings: SettingsMapping, warnings: inout [String]) throws(SettingError) {
        self.init(
            name: try settings["name"].map { setting throws(SettingError) in try Self.identity(setting) } ?? Self.name,
            taskID: try Self.pointer(settings.require("task-id")),
            status: try Self.pointer(settings.require("status")),
            results: try settings["results"].map { setting throws(SettingError) in try Self.pointer(setting) },
            error: try settings["error"].map { setting throws(SettingError) in try Self.pointer(setting) },
            statusMap: try Self.statusMap(settings.require("status-map")),
            secrets: try settings.sources(single: "secret", list: "secrets", warnings: &warnings),
            publicKeys: try settings.sources(single: "public-key", list: "public-keys", warnings: &warnings))
    }

    /// A route's `name:`, the provider identity its tasks are kept under: `name:id` names a task
    /// (so no colon), and registrations accept identities of at most 128 bytes.
    static func identity(_ setting: Setting) throws(SettingError) -> String {
        let name = try setting.requireString()
        guard name.utf8.count <= 128, !name.contains(":") else {
            throw setting.error("expected a name of 1 to 128 bytes without a colon (tasks are named name:id)")
        }
        return name
    }

    /// An RFC 6901 pointer; the empty one (`""`) is the whole document.
    static func pointer(_ setting: Setting) throws(SettingError) -> JSONPointer {
        guard let text = setting.string else { throw setting.error("expected a JSON pointer such as /data/task_id") }
        do {
            return try JSONPointer(text)
        } catch {
            throw setting.error(error.reason)
        }
    }

    /// The route's status words, each to a normalized status.
    static func statusMap(_ setting: Setting) throws(SettingError) -> [String: TaskStatus] {
        let map = try setting.requireMapping()
        let choices = TaskStatus.allCases.map(\.rawValue).joined(separator: ", ")
        var result: [String: TaskStatus] = [:]
        for key in map.keys {
            let value = try map.require(key)
            guard let status = value.string.flatMap(TaskStatus.init(rawValue:)) else {
                throw value.error("expected one of \(choices)")
            }
            result[key] = status
        }
        guard !result.isEmpty else { throw setting.error("needs at least one status") }
        try map.finish()
        return result
    }

    public var hasKeys: Bool { !secrets.isEmpty || !publicKeys.isEmpty }

    public func verifier(keys: any KeyLoader, toleranceSeconds: Int64) throws(ProviderConfigurationError)
        -> (any SignatureVerifier)?
    {
        var parsed: [StandardWebhooksKey] = []
        for (sources, key) in [(secrets, "secret"), (publicKeys, "public-key")] {
            for (index, text) in try keys.texts(of: sources, for: key).enumerated() {
                do {
                    parsed.append(try StandardWebhooksKey(parsing: text))
                } catch {
                    throw ProviderConfigurationError(
                        "\(sources.count == 1 ? key : "\(key)s[\(index)]"): \(error.reason)")
                }
            }
        }
        return parsed.isEmpty ? nil : StandardWebhooksVerifier(keys: parsed, toleranceSeconds: toleranceSeconds)
    }

    /// The route's map, its words in alphabetical order.
    public var statusWords: StatusWords {
        StatusWords(statusMap.sorted { $0.key < $1.key }.map { (word: $0.key, status: $0.value) })
    }

    /// `v1` with a secret, `v1a` with an Ed25519 private key.
    public func sign(_ body: [UInt8], taskID: String, deliveryID: String, timestamp: Int64, with key: SigningKey)
        throws(ProviderConfigurationError) -> [Delivery.Header]
    {
        switch key {
        case .secret(let secret):
            let bytes = try StandardWebhooksKey.secretBytes(secret)
            return StandardWebhooksScheme.sign(
                body, id: deliveryID, timestamp: timestamp, key: .hmac(SymmetricKey(data: bytes)))
        case .ed25519(let privateKey):
            return StandardWebhooksScheme.sign(body, id: deliveryID, timestamp: timestamp, key: .ed25519(privateKey))
        }
    }

    /// None: the body's shape is the sender's own, which only the route's pointers describe.
    public func testBody(taskID: String, status: TaskStatus, resultURL: String) throws(ProviderConfigurationError)
        -> [UInt8]?
    {
        nil
    }

    public func normalize(_ callback: Callback) -> Normalized {
        do throws(PayloadProblem) {
            let document = try TaskObject(body: callback.body).value
            guard let idValue = taskID.resolve(in: document) else {
                throw PayloadProblem("no task id at \(Self.place(taskID))")
            }
            let id = try TaskObject.identifier(idValue, describedAs: "the task id at \(Self.place(taskID))")
            let status = try mappedStatus(in: document)
            var note: String? = nil
            var urls: [String] = []
            if let results {
                switch results.resolve(in: document) {
                case nil, .null?: break
                case .string(let url)?: urls = [url]
                case .array(let elements)?: urls = elements.compactMap(\.string)
                case let other?: note = "results at \(Self.place(results)) is \(other.kind), not strings; ignored"
                }
            }
            let message = error.flatMap { $0.resolve(in: document)?.string }.flatMap { $0.isEmpty ? nil : $0 }
            let event = TaskEvent(
                taskID: id, provider: eventProvider, status: status, results: urls, error: message)
            return .events([event], note: note)
        } catch {
            return .unparsed(reason: error.reason)
        }
    }

    private func mappedStatus(in document: JSON) throws(PayloadProblem) -> TaskStatus {
        let place = Self.place(status)
        guard let value = status.resolve(in: document) else { throw PayloadProblem("no status at \(place)") }
        guard let text = value.string ?? value.numberText ?? value.boolText else {
            throw PayloadProblem("the status at \(place) is \(value.kind), not a string")
        }
        guard let mapped = statusMap[text] else {
            let known = statusMap.keys.sorted().joined(separator: ", ")
            throw PayloadProblem(
                "status \(text.quotedForReason) at \(place) is not in the status map (known: \(known))")
        }
        return mapped
    }

    private static func place(_ pointer: JSONPointer) -> String {
        pointer.description.isEmpty ? "the document root" : pointer.description
    }
}
