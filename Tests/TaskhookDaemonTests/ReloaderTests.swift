import Testing

@testable import TaskhookDaemon

/// SIGHUP applies routes, proxies and the admin token; whatever only a restart applies is
/// logged as such (`Reloader.needsRestart`), never silently kept as it was.
@Suite struct ReloaderTests {
    static let route = "routes:\n  - {path: /a, provider: freepik, allow-unsigned: true}\n"

    func restart(_ before: String, _ after: String) throws -> Bool {
        Reloader.needsRestart(
            from: try DaemonConfiguration.parse(yaml: before + Self.route, environment: [:]),
            to: try DaemonConfiguration.parse(yaml: after + Self.route, environment: [:]))
    }

    @Test func routesAndProxiesTakeNoRestart() throws {
        #expect(try !restart("", ""))
        #expect(try !restart("", "trusted-proxies: [127.0.0.1]\n"))
        #expect(
            !Reloader.needsRestart(
                from: try DaemonConfiguration.parse(yaml: Self.route, environment: [:]),
                to: try DaemonConfiguration.parse(
                    yaml: "routes:\n  - {path: /b, provider: freepik, allow-unsigned: true}\n", environment: [:])))
    }

    @Test(arguments: [
        "listen: [\"127.0.0.1:9999\"]\n",
        "journal: {sync: none}\n",
        "limits: {max-event-streams: 3}\n",
        "limits: {max-body: 1MiB}\n",
        "limits: {max-connections: 10}\n",
        "limits: {max-buffered-bodies: 128MiB}\n",
        "limits: {header-timeout: 3s}\n",
        "limits: {drain-timeout: 3s}\n",
        "limits: {long-iteration: 20ms}\n",
    ])
    func whatOnlyARestartAppliesIsSaidToNeedOne(_ change: String) throws {
        #expect(try restart("", change))
    }
}
