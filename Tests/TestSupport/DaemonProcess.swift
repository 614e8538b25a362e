import Foundation
import TaskhookPosix

/// The built `taskhookd`, started as its own process the way an operator would start it.
public final class DaemonProcess: @unchecked Sendable {
    public let process = Process()
    private let stderrPipe = Pipe()
    private let lock = NSLock()
    private var stderrText = ""
    private var boundAddress: SocketAddress?
    /// The webhook listener's address, as the daemon logged it.
    public var address: SocketAddress { boundAddress! }

    /// `.build/<triple>/debug/taskhookd`, next to the test bundle.
    public static var binary: URL {
        if let override = ProcessInfo.processInfo.environment["TASKHOOKD_BIN"] { return URL(fileURLWithPath: override) }
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        return exe.deletingLastPathComponent().appendingPathComponent("taskhookd")
    }

    /// Starts the daemon on 127.0.0.1 port 0 (plus `arguments`) and waits until it listens.
    public init(arguments: [String] = [], timeout: Duration = .seconds(20)) throws {
        process.executableURL = Self.binary
        process.arguments = ["--listen", "127.0.0.1:0"] + arguments
        process.standardError = stderrPipe
        process.standardOutput = FileHandle.nullDevice
        stderrPipe.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            guard let self, !data.isEmpty else { return }
            self.lock.withLock { self.stderrText += String(decoding: data, as: UTF8.self) }
        }
        try process.run()
        let deadline = Instant.now() + timeout
        while boundAddress == nil {
            if let line = log.split(separator: "\n").first(where: { $0.contains("listening") && $0.contains("address=") }) {
                let value = line.split(separator: " ").first { $0.hasPrefix("address=") }!.dropFirst("address=".count)
                boundAddress = try SocketAddress(parsing: String(value))
            } else if !process.isRunning {
                throw TestClientError("taskhookd exited with \(process.terminationStatus): \(log)")
            } else if Instant.now() > deadline {
                throw TestClientError("taskhookd did not report a listening address: \(log)")
            } else {
                usleep(10_000)
            }
        }
    }

    public var log: String { lock.withLock { stderrText } }
    public var pid: Int32 { process.processIdentifier }

    public func signal(_ signal: Int32) { kill(pid, signal) }

    /// Waits for exit; returns the exit status, or nil on timeout.
    public func waitForExit(timeout: Duration = .seconds(20)) -> Int32? {
        let deadline = Instant.now() + timeout
        while process.isRunning {
            if Instant.now() > deadline { return nil }
            usleep(10_000)
        }
        return process.terminationStatus
    }

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
        if process.isRunning {
            kill(pid, SIGKILL)
            process.waitUntilExit()
        }
        stderrPipe.fileHandleForReading.readabilityHandler = nil
    }
}
