import TaskhookSystemd

/// What the service manager gave the daemon, if it runs under one: a way to report status,
/// the watchdog interval, and listening sockets by name. Empty when started by hand.
public struct ServiceManager {
    public var notifier: ServiceNotifier?
    public var watchdogInterval: Duration?
    public var sockets: [SocketActivation.Passed]

    public init(
        notifier: ServiceNotifier? = nil, watchdogInterval: Duration? = nil, sockets: [SocketActivation.Passed] = []
    ) {
        self.notifier = notifier
        self.watchdogInterval = watchdogInterval
        self.sockets = sockets
    }

    /// Reads (and clears) what systemd passed through the environment.
    public static func fromEnvironment(_ environment: [String: String]) -> ServiceManager {
        ServiceManager(
            notifier: SystemdNotifier.fromEnvironment(environment),
            watchdogInterval: SystemdNotifier.watchdogInterval(),
            sockets: SocketActivation.take())
    }

    func sockets(named name: String) -> [Int32] { sockets.filter { $0.name == name }.map(\.descriptor) }
}
