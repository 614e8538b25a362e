import Logging
import TaskhookHTTP
import TaskhookPosix

/// Opens the daemon's listeners on the server: the webhook listener ("http"), the Unix control
/// socket ("control") and the optional admin listener behind a bearer token. Sockets systemd
/// passed by name are used as given; otherwise each is bound from the configuration.
struct Listeners {
    let server: HTTPServer
    let service: ServiceManager
    let logger: Logger

    func open(
        _ configuration: DaemonConfiguration, webhooks: HTTPHandler, control: HTTPHandler, adminToken: String?
    ) throws(Daemon.StartError) {
        for other in service.sockets where other.name != "http" && other.name != "control" {
            logger.warning("ignoring a socket passed by the service manager", metadata: ["name": "\(other.name)"])
        }
        try openWebhooks(configuration.listen, handler: webhooks)
        try openControl(configuration.control, handler: control)
        if let admin = configuration.control.admin, let adminToken {
            try openAdmin(admin.listen, handler: BearerTokenGate(control, token: adminToken))
        }
    }

    private func openWebhooks(_ addresses: [SocketAddress], handler: HTTPHandler) throws(Daemon.StartError) {
        let passed = service.sockets(named: "http")
        guard passed.isEmpty else {
            for fd in passed {
                do {
                    try server.addListener(ListeningSocket(adopting: fd), name: "http", handler: handler)
                } catch {
                    throw .setup(error)
                }
            }
            return
        }
        for address in addresses {
            do {
                try server.addListener(ListeningSocket(binding: address), name: "http", handler: handler)
            } catch {
                throw .listen(address, error)
            }
        }
    }

    /// The Unix control socket, created with its mode (its directory made if missing).
    private func openControl(_ control: ControlConfiguration, handler: HTTPHandler) throws(Daemon.StartError) {
        if let fd = service.sockets(named: "control").first {
            do {
                let socket = try ListeningSocket(adopting: fd)
                try server.addListener(socket, name: "control", handler: handler)
                logger.info(
                    "listening", metadata: ["listener": "control", "address": "\(socket.address)", "passed": "true"])
            } catch {
                throw .setup(error)
            }
            return
        }
        let path = control.socket
        if let slash = path.lastIndex(of: "/"), slash != path.startIndex {
            do { try FileSystem.createDirectories(String(path[..<slash])) } catch { throw .setup(error) }
        }
        let address = SocketAddress.unix(path: path)
        do throws(SyscallError) {
            let socket = try ListeningSocket(binding: address)
            try FileSystem.setMode(path, control.socketMode)
            try server.addListener(socket, name: "control", handler: handler)
        } catch {
            throw .listen(address, error)
        }
        logger.info("listening", metadata: ["listener": "control", "address": "\(address)"])
    }

    private func openAdmin(_ address: SocketAddress, handler: HTTPHandler) throws(Daemon.StartError) {
        do {
            let socket = try ListeningSocket(binding: address)
            try server.addListener(socket, name: "admin", handler: handler)
            logger.info("listening", metadata: ["listener": "admin", "address": "\(socket.address)"])
        } catch {
            throw .listen(address, error)
        }
    }
}
