import Glibc
import TaskhookPosix

/// A stand-in for systemd's notification socket: an AF_UNIX datagram socket whose path goes in
/// `NOTIFY_SOCKET`; every sd_notify() of the daemon arrives as one message.
public final class NotifySocket: @unchecked Sendable {
    public let path: String
    private let fd: Int32

    public init(directory: String) throws {
        path = directory + "/notify.sock"
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw TestClientError("socket(AF_UNIX, SOCK_DGRAM) failed: \(errno)") }
        let address = SocketAddress.unix(path: path)
        var sa = sockaddr_un()
        sa.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &sa.sun_path) { raw in
            let bytes = Array(path.utf8)
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let result = withUnsafePointer(to: &sa) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard result == 0 else { throw TestClientError("bind(\(address)) failed: \(errno)") }
    }

    deinit {
        close(fd)
        unlink(path)
    }

    /// The next message, or nil if none arrives within `timeout`.
    public func next(timeout: Duration) -> String? {
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&pfd, 1, Int32(timeout.milliseconds)) > 0 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        return n > 0 ? String(decoding: buffer[..<n], as: UTF8.self) : nil
    }

    /// Messages until one contains `text` (inclusive), or nil after `timeout`.
    public func until(_ text: String, timeout: Duration = .seconds(5)) -> [String]? {
        let deadline = Instant.now() + timeout
        var seen: [String] = []
        while Instant.now() < deadline {
            guard let message = next(timeout: deadline - Instant.now()) else { continue }
            seen.append(message)
            if message.contains(text) { return seen }
        }
        return nil
    }
}
