import Logging
import TaskhookPosix
import TaskhookProviders

/// fal's verifier over a JWKS file that `taskhook jwks fetch` replaces from time to time: at
/// most once a second it looks whether the file changed (inode, size, mtime) and, if so, reads
/// the new keys. A new file that cannot be read or parsed is logged and the old keys are kept.
/// Used on the event loop's thread only.
final class ReloadingJWKSVerifier: SignatureVerifier, @unchecked Sendable {
    // @unchecked: mutable state, but only the loop's thread calls verify().
    private let path: String
    private let toleranceSeconds: Int64
    private let logger: Logger
    private var current: FalVerifier
    private var identity: FileSystem.Identity?
    private var lastCheck: Instant
    private let checkEvery: Duration

    init(path: String, toleranceSeconds: Int64, logger: Logger, checkEvery: Duration = .seconds(1)) throws(RouteFactory
        .Failure)
    {
        self.path = path
        self.toleranceSeconds = toleranceSeconds
        self.logger = logger
        self.checkEvery = checkEvery
        lastCheck = .now()
        identity = try? FileSystem.identity(path)
        current = try Self.load(path, toleranceSeconds)
    }

    static func load(_ path: String, _ tolerance: Int64) throws(RouteFactory.Failure) -> FalVerifier {
        let bytes: [UInt8]
        do {
            let file = try File.openForReading(path)
            defer { file.close() }
            bytes = try file.read(count: min(try file.size(), 1 << 20), at: 0)
        } catch {
            throw RouteFactory.Failure(description: "jwks \(path): cannot read: \(error.errno)")
        }
        do {
            return try FalVerifier(jwks: bytes, toleranceSeconds: tolerance)
        } catch {
            throw RouteFactory.Failure(description: "jwks \(path): \(error)")
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
            current = try Self.load(path, toleranceSeconds)
            logger.notice("fal JWKS reloaded", metadata: ["file": "\(path)", "keys": "\(current.keys.count)"])
        } catch {
            logger.error(
                "fal JWKS changed but cannot be used; keeping the previous keys", metadata: ["reason": "\(error)"])
        }
    }
}
