import Foundation

/// `taskhook simulate` as a separate process, ended by the test whatever its outcome.
public final class SimulatorProcess: @unchecked Sendable {
    public let process = Process()
    public let baseURL: String

    public init(arguments: [String]) throws {
        process.executableURL = DaemonProcess.cli
        process.arguments = ["simulate", "--listen", "127.0.0.1:0"] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        // The first line names the address; reading blocks until it is written (or the process exits).
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { throw TestClientError("taskhook simulate exited before listening") }
            line += chunk
        }
        let text = String(decoding: line, as: UTF8.self)
        guard let url = text.split(separator: "\n").first?.split(separator: " ").last, text.hasPrefix("listening on")
        else { throw TestClientError("taskhook simulate said: \(text)") }
        baseURL = String(url)
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}
