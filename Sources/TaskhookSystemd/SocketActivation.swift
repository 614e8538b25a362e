import CSystemd
import Glibc

/// Sockets passed by the service manager (sd_listen_fds_with_names(3)), by their
/// `FileDescriptorName=`. Taken once: the environment is cleared so children do not inherit it.
public enum SocketActivation {
    public struct Passed: Equatable, Sendable {
        public let name: String
        public let descriptor: Int32
    }

    public static func take() -> [Passed] {
        var names: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
        let count = sd_listen_fds_with_names(1, &names)
        guard count > 0 else { return [] }
        defer { free(names) }
        return (0..<Int(count)).map { index in
            let raw = names?[index]
            defer { free(raw) }
            let name = raw.map { String(cString: $0) } ?? "unknown"
            return Passed(name: name, descriptor: Int32(SD_LISTEN_FDS_START) + Int32(index))
        }
    }
}
