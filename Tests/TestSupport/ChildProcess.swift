import Foundation
import TaskhookPosix

/// A process a test starts (the daemon, a command, a helper server), in a process group of its
/// own so that `stop()` ends it together with whatever it started, and reaped by `stop()`:
/// call it in a `defer` (`deinit` calls it too). Its standard output and error go to files,
/// read back whole with `output` and `errorOutput`, so no pipe fills while nobody reads.
public final class ChildProcess: @unchecked Sendable {
    public let pid: pid_t
    private let directory: String
    private let lock = NSLock()
    private var exitStatus: Int32?

    /// Starts `executable` (a path, or a name looked up on PATH) with `arguments`.
    /// `environment` nil: the test's own.
    public init(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil
    ) throws {
        directory = DaemonProcess.temporaryDirectory()
        let environment = (environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }
        do {
            // Its own process group (pgid = its pid), default signal handling, nothing blocked.
            pid =
                try Subprocess.spawn(
                    [executable] + arguments, environment: environment, input: false,
                    output: .files(standardOutput: directory + "/stdout", standardError: directory + "/stderr"),
                    ownProcessGroup: true
                ).pid
        } catch {
            try? FileManager.default.removeItem(atPath: directory)
            throw TestClientError("cannot start \(executable): \(error.errno)")
        }
    }

    /// Runs a command to its end: its exit status, standard output and error. One still running
    /// after `timeout` is killed with its group (status 137).
    public static func run(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil,
        timeout: Duration = .seconds(60)
    ) throws -> (status: Int32, output: String, error: String) {
        let command = try ChildProcess(executable, arguments, environment: environment)
        defer { command.stop() }
        if command.wait(timeout: timeout) == nil { command.stop() }
        return (command.terminationStatus ?? -1, command.output, command.errorOutput)
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Everything it wrote to standard output so far.
    public var output: String { read("stdout") }
    /// Everything it wrote to standard error so far.
    public var errorOutput: String { read("stderr") }

    private func read(_ name: String) -> String {
        (try? String(contentsOfFile: directory + "/" + name, encoding: .utf8)) ?? ""
    }

    /// Sends `signal` to the process alone (not its group).
    public func signal(_ signal: Int32) {
        if isRunning { kill(pid, signal) }
    }

    /// Whether it has not exited yet (reaps it if it has).
    public var isRunning: Bool { reap(block: false) == nil }

    /// The exit status (128 + the signal for a process a signal ended), once it has exited.
    public var terminationStatus: Int32? { lock.withLock { exitStatus } }

    /// Waits for it to exit; nil if it is still running after `timeout`.
    @discardableResult
    public func wait(timeout: Duration = .seconds(30)) -> Int32? {
        let deadline = Instant.now() + timeout
        while true {
            if let status = reap(block: false) { return status }
            if Instant.now() > deadline { return nil }
            usleep(5_000)
        }
    }

    /// Ends it and every process in its group with SIGKILL, and reaps it. Safe to call twice.
    public func stop() {
        if terminationStatus == nil { kill(-pid, SIGKILL) }
        _ = reap(block: true)
        // Whatever it started in its group and left behind (its parent already gone).
        kill(-pid, SIGKILL)
    }

    private func reap(block: Bool) -> Int32? {
        lock.withLock {
            if let exitStatus { return exitStatus }
            var status: Int32 = 0
            let result = waitpid(pid, &status, block ? 0 : WNOHANG)
            guard result == pid else { return nil }
            let code = status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
            exitStatus = code
            return code
        }
    }
}
