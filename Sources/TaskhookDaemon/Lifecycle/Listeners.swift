import Logging
import TaskhookHTTP
import TaskhookPosix

/// Opens the daemon's listeners on the server: the webhook listener ("http"), the Unix control
/// socket ("control") and the optional admin listener behind a bearer token ("admin"). Sockets
/// systemd passed by name are used as given; otherwise each is bound from the configuration.
/// Each has its own connection budget, so callbacks, local waiters and remote waiters cannot
/// shut one another out.
struct Listeners {
    let server: HTTPServer
    let service: ServiceManager
    let logger: Logger

    func open(
        _ configuration: DaemonConfiguration, webhooks: HTTPHandler, control: HTTPHandler, admin: BearerTokenGate?
    ) throws(Daemon.StartError) {
        for other in service.sockets where !["http", "control", "admin"].contains(other.name) {
            logger.warning("ignoring a socket passed by the service manager", metadata: ["name": "\(other.name)"])
        }
        try openWebhooks(configuration, handler: webhooks)
        try openControl(configuration.control, handler: control)
        if let listener = configuration.control.admin, let admin {
            try openAdmin(listener, handler: admin)
        } else if !service.sockets(named: "admin").isEmpty {
            logger.warning("ignoring the passed socket named admin: control.admin (its token) is not configured")
        }
    }

    private func openWebhooks(_ configuration: DaemonConfiguration, handler: HTTPHandler) throws(Daemon.StartError) {
        let budget = configuration.server.maxConnections
        let passed = service.sockets(named: "http")
        guard passed.isEmpty else {
            for fd in passed {
                do {
                    try server.addListener(
                        ListeningSocket(adopting: fd), name: "http", handler: handler, maxConnections: budget)
                } catch {
                    throw .setup(error)
                }
            }
            return
        }
        for address in configuration.listen {
            do {
                try server.addListener(
                    ListeningSocket(binding: address), name: "http", handler: handler, maxConnections: budget)
            } catch {
                throw .listen(address, error)
            }
        }
    }

    /// The Unix control socket, created with its mode (its directory made if missing, with
    /// search access for whom the socket's mode lets in).
    private func openControl(_ control: ControlConfiguration, handler: HTTPHandler) throws(Daemon.StartError) {
        let budget = control.connectionBudget
        if try adoptPassed("control", handler: handler, budget: budget) { return }
        let path = control.socket
        if let slash = path.lastIndex(of: "/"), slash != path.startIndex {
            do {
                try FileSystem.createDirectories(
                    String(path[..<slash]), mode: Self.directoryMode(forSocketMode: control.socketMode))
            } catch {
                throw .setup(error)
            }
        }
        let address = SocketAddress.unix(path: path)
        do throws(SyscallError) {
            let socket = try ListeningSocket(bindingUnix: path, mode: control.socketMode)
            try server.addListener(socket, name: "control", handler: handler, maxConnections: budget)
        } catch {
            throw .listen(address, error)
        }
        logger.info("listening", metadata: ["listener": "control", "address": "\(address)"])
    }

    /// Owner rwx, plus search (x) and list (r) for the group and others when the socket's mode
    /// gives them any access: a 0700 directory would lock out the group a 0660 socket admits.
    static func directoryMode(forSocketMode mode: UInt32) -> UInt32 {
        var directory: UInt32 = 0o700
        if mode & 0o070 != 0 { directory |= 0o050 }
        if mode & 0o007 != 0 { directory |= 0o005 }
        return directory
    }

    /// The admin listener: the socket systemd passed as `admin` (the shipped unit has no network
    /// of its own), else the configured address.
    private func openAdmin(_ listener: AdminListener, handler: HTTPHandler) throws(Daemon.StartError) {
        let budget = listener.maxConnections
        if try adoptPassed("admin", handler: handler, budget: budget) { return }
        guard let address = listener.listen else {
            throw .route("control.admin has no listen address and systemd passed no socket named admin")
        }
        do {
            let socket = try ListeningSocket(binding: address)
            try server.addListener(socket, name: "admin", handler: handler, maxConnections: budget)
            logger.info("listening", metadata: ["listener": "admin", "address": "\(socket.address)"])
        } catch {
            throw .listen(address, error)
        }
    }

    /// Serves the socket systemd passed by `name`, if it passed one; true when it did.
    private func adoptPassed(_ name: String, handler: HTTPHandler, budget: Int) throws(Daemon.StartError) -> Bool {
        guard let fd = service.sockets(named: name).first else { return false }
        do {
            let socket = try ListeningSocket(adopting: fd)
            try server.addListener(socket, name: name, handler: handler, maxConnections: budget)
            logger.info(
                "listening", metadata: ["listener": "\(name)", "address": "\(socket.address)", "passed": "true"])
        } catch {
            throw .setup(error)
        }
        return true
    }
}
