import Foundation
import TaskhookProviders
import Testing

@testable import TaskhookDaemon

/// What `make install` and the Debian package put in /etc/taskhook/taskhook.yaml, and the route
/// README "Under systemd" tells the operator to append to it.
@Suite struct InstalledConfigurationTests {
    let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..")
    let systemd = ["STATE_DIRECTORY": "/var/lib/taskhook", "RUNTIME_DIRECTORY": "/run/taskhook"]

    func text(_ path: String) throws -> String {
        try String(contentsOf: repository.appendingPathComponent(path), encoding: .utf8)
    }

    @Test func theInstalledConfigurationHasNoRouteSoItNeedsNoSecret() throws {
        let configuration = try DaemonConfiguration.parse(yaml: try text("config/installed.yaml"), environment: systemd)
        #expect(configuration.routes.isEmpty)
        #expect(configuration.warnings.isEmpty)
        #expect(configuration.journal.directory == "/var/lib/taskhook/journal")
        try Daemon.check(configuration, environment: [:])
    }

    @Test func itsCommentedTrustedProxiesLineIsValidOnceUncommented() throws {
        let line = try #require(
            try text("config/installed.yaml").split(separator: "\n").first { $0.hasPrefix("# trusted-proxies:") })
        let configuration = try DaemonConfiguration.parse(yaml: String(line.dropFirst(2)), environment: [:])
        #expect(configuration.trustedProxies == (try TrustedProxies(parsing: ["127.0.0.1", "::1"])))
    }

    @Test func theReadmesFirstRouteAppendedToItIsOneFreepikRouteOnACredential() throws {
        // The YAML of the heredoc in the block marked e2e:first-route (the real-systemd test runs
        // the whole block; this catches a README that drifts from the configuration keys sooner).
        let readme = try text("README.md")
        let block = try #require(readme.split(separator: "<!-- e2e:first-route -->\n", maxSplits: 1).last)
        let heredoc = try #require(block.split(separator: "<<'YAML'\n", maxSplits: 1).last)
        let yaml = try #require(heredoc.split(separator: "\nYAML\n", maxSplits: 1).first)
        let configuration = try DaemonConfiguration.parse(
            yaml: try text("config/installed.yaml") + yaml + "\n", environment: systemd)
        #expect(configuration.routes.map(\.path) == ["/hooks/freepik"])
        #expect(configuration.routes.first?.profile is FreepikProfile)
        #expect(configuration.warnings.isEmpty)
    }
}
