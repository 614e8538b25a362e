import Foundation
import TaskhookPosix

/// `taskhook simulate` as a child of the test, ended with it: call `stop()` in a `defer`
/// (`deinit` calls it too).
public final class SimulatorProcess: @unchecked Sendable {
    public let process: ChildProcess
    public let baseURL: String

    public init(arguments: [String], timeout: Duration = .seconds(20)) throws {
        process = try ChildProcess(DaemonProcess.cli.path, ["simulate", "--listen", "127.0.0.1:0"] + arguments)
        // The first line on standard output names the address it listens on.
        let deadline = Instant.now() + timeout
        while true {
            let output = process.output
            if let line = output.split(separator: "\n").first, line.hasPrefix("listening on "), output.contains("\n") {
                baseURL = String(line.dropFirst("listening on ".count))
                return
            }
            if !process.isRunning || Instant.now() > deadline {
                process.stop()
                throw TestClientError("taskhook simulate did not start: \(process.errorOutput)")
            }
            usleep(10_000)
        }
    }

    public func stop() { process.stop() }

    deinit { process.stop() }
}
