import Foundation
import TaskhookPosix

/// The built `taskhookd`, started as its own process the way an operator would start it, in
/// its own process group; ended (SIGKILL, reaped) when the value goes away, whatever the test's
/// outcome.
public final class DaemonProcess: @unchecked Sendable {
    public let process: ChildProcess
    private var boundAddress: SocketAddress?
    private var ownedDirectory: String?
    /// The Unix socket of the control API.
    public let controlSocket: String
    /// The webhook listener's address, as the daemon logged it.
    public var address: SocketAddress { boundAddress! }

    /// `.build/<triple>/debug/taskhookd`, next to the test bundle.
    public static var binary: URL {
        if let override = ProcessInfo.processInfo.environment["TASKHOOKD_BIN"] { return URL(fileURLWithPath: override) }
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        return exe.deletingLastPathComponent().appendingPathComponent("taskhookd")
    }

    /// The `taskhook` command line, next to taskhookd.
    public static var cli: URL { binary.deletingLastPathComponent().appendingPathComponent("taskhook") }

    /// Starts the daemon on `listen` (plus `arguments`) and waits until it listens.
    public init(
        arguments: [String] = [], listen: String = "127.0.0.1:0", environment: [String: String]? = nil,
        timeout: Duration = .seconds(20)
    ) throws {
        // Each daemon gets a journal and a control socket of its own unless the test names them.
        var arguments = arguments
        let owned = Self.temporaryDirectory()
        ownedDirectory = owned
        if !arguments.contains("--journal-dir") { arguments += ["--journal-dir", owned + "/journal"] }
        if let index = arguments.firstIndex(of: "--control-socket"), index + 1 < arguments.count {
            controlSocket = arguments[index + 1]
        } else {
            controlSocket = owned + "/control.sock"
            arguments += ["--control-socket", controlSocket]
        }
        process = try ChildProcess(Self.binary.path, ["--listen", listen] + arguments, environment: environment)
        let deadline = Instant.now() + timeout
        while boundAddress == nil {
            if let line = log.split(separator: "\n").first(where: {
                $0.contains("listening") && $0.contains("listener=http")
            }) {
                let value = line.split(separator: " ").first { $0.hasPrefix("address=") }!.dropFirst("address=".count)
                boundAddress = try SocketAddress(parsing: String(value))
            } else if !process.isRunning {
                throw TestClientError("taskhookd exited with \(process.terminationStatus ?? -1): \(log)")
            } else if Instant.now() > deadline {
                throw TestClientError("taskhookd did not report a listening address: \(log)")
            } else {
                usleep(10_000)
            }
        }
    }

    /// Its standard error so far.
    public var log: String { process.errorOutput }

    /// Waits until the daemon's log contains `text` (its stderr arrives asynchronously).
    public func waitForLog(_ text: String, timeout: Duration = .seconds(5)) -> Bool {
        let deadline = Instant.now() + timeout
        while !log.contains(text) {
            if Instant.now() > deadline { return false }
            usleep(10_000)
        }
        return true
    }

    /// Runs `taskhook` with `arguments`; returns its exit status, standard output and error.
    /// One still running after `timeout` is killed (status 137).
    public static func runCLI(
        _ arguments: [String], environment: [String: String]? = nil, timeout: Duration = .seconds(60)
    ) throws -> (status: Int32, output: String, error: String) {
        try ChildProcess.run(cli.path, arguments, environment: environment, timeout: timeout)
    }

    /// A fresh directory under /tmp for one test.
    public static func temporaryDirectory() -> String {
        var template = Array("/tmp/taskhook-test-XXXXXX".utf8CString)
        return template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
    }
    public var pid: Int32 { process.pid }

    public func signal(_ signal: Int32) { process.signal(signal) }

    /// Waits for exit; returns the exit status, or nil on timeout.
    public func waitForExit(timeout: Duration = .seconds(20)) -> Int32? { process.wait(timeout: timeout) }

    /// Resident set size in KiB, from /proc.
    public func residentKiB() -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") }
        return line.flatMap { Int($0.split(separator: " ", omittingEmptySubsequences: true)[1]) }
    }

    /// Open descriptors of the daemon, from /proc.
    public func openDescriptors() -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? -1
    }

    deinit {
        process.stop()
        if let ownedDirectory { try? FileManager.default.removeItem(atPath: ownedDirectory) }
    }
}
