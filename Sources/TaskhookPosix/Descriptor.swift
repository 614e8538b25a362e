#if canImport(Glibc)
    import Glibc
#endif

/// A file descriptor this process owns. It is closed exactly once: by `close()` or on deinit.
public final class Descriptor {
    public private(set) var rawValue: Int32

    public init(owning rawValue: Int32) {
        precondition(rawValue >= 0, "a Descriptor needs a valid fd")
        self.rawValue = rawValue
    }

    public var isOpen: Bool { rawValue >= 0 }

    /// `/dev/null`, read-only: a spare descriptor to give up when the process runs out (EMFILE).
    public static func openNullDevice() -> Descriptor? {
        let fd = open("/dev/null", O_RDONLY | O_CLOEXEC)
        return fd >= 0 ? Descriptor(owning: fd) : nil
    }

    /// Closes now. EINTR from close(2) on Linux still releases the fd, so it is never retried.
    public func close() {
        guard rawValue >= 0 else { return }
        _ = Glibc.close(rawValue)
        rawValue = -1
    }

    /// Gives up ownership without closing (for descriptors handed to another owner).
    public func release() -> Int32 {
        defer { rawValue = -1 }
        return rawValue
    }

    deinit { close() }
}
