import Logging
import TaskhookPosix
import TaskhookProviders

/// A verifier over a key file that is replaced from time to time (fal's JWKS, which `taskhook jwks
/// fetch` renews): at most once a second it looks whether the file changed (inode, size, mtime)
/// and, if so, has the profile build a verifier from the new bytes. A new file that cannot be read
/// or used is logged and the old keys are kept. Used on the event loop's thread only.
final class ReloadingVerifier: SignatureVerifier, @unchecked Sendable {
    // @unchecked: mutable state, but only the loop's thread calls verify().
    typealias Build = @Sendable ([UInt8]) throws(ProviderConfigurationError) -> (any SignatureVerifier, keyCount: Int)

    private let path: String
    /// The route key naming the file, for errors ("jwks /var/lib/…: …").
    private let key: String
    /// What logs call the keys ("fal JWKS").
    private let label: String
    private let build: Build
    private let logger: Logger
    private var current: any SignatureVerifier
    private var identity: FileSystem.Identity?
    private var lastCheck: Instant
    private let checkEvery: Duration

    init(
        path: String, key: String, label: String, logger: Logger, checkEvery: Duration = .seconds(1),
        build: @escaping Build
    ) throws(ProviderConfigurationError) {
        self.path = path
        self.key = key
        self.label = label
        self.build = build
        self.logger = logger
        self.checkEvery = checkEvery
        lastCheck = .now()
        identity = try? FileSystem.identity(path)
        current = try Self.load(path, key: key, build).0
    }

    static func load(_ path: String, key: String, _ build: Build) throws(ProviderConfigurationError)
        -> (any SignatureVerifier, keyCount: Int)
    {
        let bytes: [UInt8]
        do {
            let file = try File.openForReading(path)
            defer { file.close() }
            bytes = try file.read(count: min(try file.size(), 1 << 20), at: 0)
        } catch {
            throw ProviderConfigurationError("\(key) \(path): cannot read: \(error.errno)")
        }
        do {
            return try build(bytes)
        } catch {
            throw ProviderConfigurationError("\(key) \(path): \(error)")
        }
    }

    func verify(_ callback: Callback) -> VerificationFailure? {
        refreshIfChanged()
        return current.verify(callback)
    }

    private func refreshIfChanged() {
        let now = Instant.now()
        guard now - lastCheck >= checkEvery else { return }
        lastCheck = now
        guard let seen = try? FileSystem.identity(path), seen != identity else { return }
        identity = seen
        do {
            let loaded = try Self.load(path, key: key, build)
            current = loaded.0
            logger.notice("\(label) reloaded", metadata: ["file": "\(path)", "keys": "\(loaded.keyCount)"])
        } catch {
            logger.error(
                "\(label) changed but cannot be used; keeping the previous keys", metadata: ["reason": "\(error)"])
        }
    }
}
