import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

extension ListeningSocket {
    /// Creates, binds and listens on a Unix socket at `path` whose file has exactly `mode`.
    ///
    /// - A socket that answers at `path` belongs to a running process (another daemon with the
    ///   same configuration): refused with EADDRINUSE instead of silently taking its clients.
    ///   A stale socket file (nobody listening) is replaced; anything that is not a socket is
    ///   refused with EEXIST, never removed.
    /// - The mode is set on the socket before `bind` creates the file (Linux creates it with the
    ///   socket's mode less the umask), so the file never exists with a wider mode; bits the
    ///   umask took are then added back without following a symbolic link.
    public convenience init(bindingUnix path: String, mode: UInt32, backlog: Int32 = 1024) throws(SyscallError) {
        try Self.refuseLiveOrForeign(path)
        try self.init(binding: .unix(path: path), backlog: backlog) { fd throws(SyscallError) in
            _ = try syscall("fchmod(socket)") { fchmod(fd, mode_t(mode)) }
        }
        _ = try syscall("fchmodat(\(path))") {
            fchmodat(AT_FDCWD, path, mode_t(mode), Int32(AT_SYMLINK_NOFOLLOW))
        }
    }

    /// Throws unless `path` is free or holds a socket file nobody listens on (which is removed).
    static func refuseLiveOrForeign(_ path: String) throws(SyscallError) {
        var status = stat()
        guard lstat(path, &status) == 0 else {
            if errno == ENOENT { return }
            throw SyscallError("lstat(\(path))", Errno(rawValue: errno))
        }
        guard status.st_mode & S_IFMT == S_IFSOCK else {
            throw SyscallError("bind(\(path)): it exists and is not a socket", .fileExists)
        }
        do {
            let probe = try StreamSocket.connect(to: .unix(path: path), timeout: .milliseconds(500))
            probe.close()
        } catch {
            switch error.errno {
            case .connectionRefused:
                // Left by a process that is gone: nobody can be reached through it any more.
                _ = unlink(path)
                return
            case .noSuchFileOrDirectory:
                return
            default:
                break
            }
        }
        throw SyscallError("bind(\(path)): another process is listening there", .addressInUse)
    }
}
