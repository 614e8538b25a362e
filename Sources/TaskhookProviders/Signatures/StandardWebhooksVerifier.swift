import Crypto
import TaskhookCore

/// Standard Webhooks v1 (HMAC-SHA256) and v1a (Ed25519) over `webhook-id.webhook-timestamp.body`, with a
/// timestamp window. Used for the `standard-webhooks` and `replicate` routes, and under `FreepikVerifier`.
public struct StandardWebhooksVerifier: SignatureVerifier {
    /// More entries than this in one header are refused: each costs a MAC comparison or an Ed25519 check.
    public static let maximumSignatureEntries = 16

    public let keys: [StandardWebhooksKey]
    public let toleranceSeconds: Int64
    /// Added to "no signature matched" reasons to say how the keys were made (Freepik's key mode).
    let keyNote: String?
    /// Whether HMAC keys check every `vN` entry, not only `v1`: Freepik's header lists
    /// "`v1,signature1 v2,signature2`" entries, one per key version during a rotation.
    let checksNumberedVersions: Bool
    /// One HMAC per `.hmac` key, its key already absorbed: copying one costs a few bytes, where
    /// starting from the key again costs two SHA-256 blocks and an allocation per callback.
    private let keyedMACs: [KeyedSHA256]
    private let publicKeys: [Curve25519.Signing.PublicKey]

    public init(keys: [StandardWebhooksKey], toleranceSeconds: Int64 = 300) {
        self.init(keys: keys, toleranceSeconds: toleranceSeconds, keyNote: nil)
    }

    /// Keys from their Standard Webhooks text: `whsec_…` secrets and `whpk_…` public keys.
    public init(secrets: [String], toleranceSeconds: Int64 = 300) throws(ProviderConfigurationError) {
        var keys: [StandardWebhooksKey] = []
        for secret in secrets { keys.append(try StandardWebhooksKey(parsing: secret)) }
        self.init(keys: keys, toleranceSeconds: toleranceSeconds)
    }

    init(keys: [StandardWebhooksKey], toleranceSeconds: Int64, keyNote: String?, checksNumberedVersions: Bool = false) {
        self.checksNumberedVersions = checksNumberedVersions
        self.keys = keys
        self.toleranceSeconds = toleranceSeconds
        self.keyNote = keyNote
        var keyedMACs: [KeyedSHA256] = []
        var publicKeys: [Curve25519.Signing.PublicKey] = []
        for key in keys {
            switch key {
            case .hmac(let secret): keyedMACs.append(KeyedSHA256(key: secret))
            case .ed25519(let publicKey): publicKeys.append(publicKey)
            }
        }
        self.keyedMACs = keyedMACs
        self.publicKeys = publicKeys
    }

    public func verify(_ callback: Callback) -> VerificationFailure? {
        guard let id = callback.header("webhook-id") else { return VerificationFailure("no webhook-id header") }
        guard let timestamp = callback.header("webhook-timestamp") else {
            return VerificationFailure("no webhook-timestamp header")
        }
        guard let signatures = callback.header("webhook-signature") else {
            return VerificationFailure("no webhook-signature header")
        }
        guard !id.isEmpty else { return VerificationFailure("webhook-id is empty") }
        let window = TimestampWindow(toleranceSeconds: toleranceSeconds)
        if let failure = window.check(timestamp, header: "webhook-timestamp", now: callback.receivedAt) {
            return failure
        }
        return match(WebhookSignatureList(signatures), id: id, timestamp: timestamp, body: callback.body)
    }

    /// Checks the entries against `id.timestamp.body`, the signed content.
    private func match(_ list: WebhookSignatureList, id: String, timestamp: String, body: [UInt8])
        -> VerificationFailure?
    {
        guard !keys.isEmpty else { return VerificationFailure("no keys are configured for this route") }
        guard !list.entries.isEmpty else { return VerificationFailure("webhook-signature is empty") }
        guard list.entries.count <= Self.maximumSignatureEntries else {
            return VerificationFailure(
                "webhook-signature has \(list.entries.count) entries; at most \(Self.maximumSignatureEntries) "
                    + "are accepted")
        }

        // Each HMAC key's code is computed once and compared (in constant time) with every v1 entry.
        let macs = keyedMACs.map { keyed in
            var mac = keyed
            Self.absorbSignedContent(id: id, timestamp: timestamp, body: body, into: &mac)
            return mac.finalize()
        }
        // Ed25519 takes the signed content in one piece: assembled only for a v1a entry.
        var signedContent: [UInt8]?

        var tally = Tally()
        for entry in list.entries {
            switch entry.version {
            case let version
            where !macs.isEmpty && (version == "v1" || checksNumberedVersions && Self.isNumbered(version)):
                guard let signature = tally.decode(entry, length: SHA256.byteCount) else { continue }
                if macs.contains(where: { Self.equalInConstantTime($0, signature) }) { return nil }
            case "v1a" where !publicKeys.isEmpty:
                guard let signature = tally.decode(entry, length: 64) else { continue }
                let content = signedContent ?? Self.signedContent(id: id, timestamp: timestamp, body: body)
                signedContent = content
                if publicKeys.contains(where: { $0.isValidSignature(signature, for: content) }) { return nil }
            default:
                tally.ignored.append(entry.version)
            }
        }
        return VerificationFailure(tally.reason(versions: expectedVersions, keyCount: keys.count, note: keyNote))
    }

    /// Feeds `mac` the signed content `id.timestamp.body` without copying the body: the short
    /// `id.timestamp.` goes in from a temporary buffer (on the stack when small), the body from
    /// its own storage.
    static func absorbSignedContent(id: String, timestamp: String, body: [UInt8], into mac: inout KeyedSHA256) {
        let prefixCount = id.utf8.count + timestamp.utf8.count + 2
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: prefixCount) { prefix in
            // Every element is written before the buffer is read; it holds plain bytes, so
            // nothing needs deinitializing when it goes away.
            var end = prefix.initialize(fromContentsOf: id.utf8)
            prefix[end] = UInt8(ascii: ".")
            end += 1
            end = prefix[end...].initialize(fromContentsOf: timestamp.utf8)
            prefix[end] = UInt8(ascii: ".")
            mac.update(UnsafeRawBufferPointer(prefix))
        }
        mac.update(body)
    }

    /// Whether a computed code is `signature`, in a time that does not depend on where they
    /// differ. Over the raw bytes: swift-crypto's `==` between a digest and an array goes
    /// through unspecialized `DataProtocol` generics, about 1,000 instructions per comparison.
    static func equalInConstantTime(_ mac: SHA256Digest, _ signature: [UInt8]) -> Bool {
        mac.withUnsafeBytes { ConstantTime.equal($0, signature) }
    }

    /// `id.timestamp.body` in one array.
    static func signedContent(id: String, timestamp: String, body: [UInt8]) -> [UInt8] {
        var content: [UInt8] = []
        content.reserveCapacity(id.utf8.count + timestamp.utf8.count + body.count + 2)
        content += id.utf8
        content.append(UInt8(ascii: "."))
        content += timestamp.utf8
        content.append(UInt8(ascii: "."))
        content += body
        return content
    }

    /// `v` and digits: `v1`, `v2`, … (not `v1a`).
    static func isNumbered(_ version: Substring) -> Bool {
        version.count > 1 && version.first == "v" && version.dropFirst().allSatisfy { $0.isASCII && $0.isNumber }
    }

    /// "v1", "v1a" or "v1 or v1a": the entries these keys can check.
    private var expectedVersions: String {
        let hasHMAC = keys.contains { $0.version == "v1" }
        let hasEd25519 = keys.contains { $0.version == "v1a" }
        return hasHMAC && hasEd25519 ? "v1 or v1a" : hasHMAC ? "v1" : "v1a"
    }

    /// What was found in the header, for the reason given when nothing matched.
    private struct Tally {
        var tried = 0
        var empty = 0
        var notBase64 = 0
        var wrongLength = 0
        var ignored: [Substring] = []

        mutating func decode(_ entry: WebhookSignatureList.Entry, length: Int) -> [UInt8]? {
            tried += 1
            if entry.signature.isEmpty {
                empty += 1
                return nil
            }
            guard let bytes = Base64.decode(entry.signature, alphabet: .standard) else {
                notBase64 += 1
                return nil
            }
            guard bytes.count == length else {
                wrongLength += 1
                return nil
            }
            return bytes
        }

        func reason(versions: String, keyCount: Int, note: String?) -> String {
            let suffix = note.map { "; \($0)" } ?? ""
            guard tried > 0 else {
                let found = ignored.map { String($0).quotedForReason }.joined(separator: ", ")
                return "webhook-signature has no \(versions) entry (found \(found))\(suffix)"
            }
            var details = ["\(tried) tried"]
            if keyCount > 1 { details[0] += " with \(keyCount) keys" }
            var problems: [String] = []
            if empty > 0 { problems.append("\(empty) empty") }
            if notBase64 > 0 { problems.append("\(notBase64) not base64") }
            if wrongLength > 0 { problems.append("\(wrongLength) of the wrong length") }
            if !ignored.isEmpty { problems.append("\(ignored.count) of another version ignored") }
            if !problems.isEmpty { details.append(problems.joined(separator: ", ")) }
            return "no \(versions) signature matched (\(details.joined(separator: "; ")))\(suffix)"
        }
    }
}
