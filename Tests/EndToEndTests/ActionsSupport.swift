import Foundation
import TaskhookPosix
import TestSupport
import Testing

/// `taskhook actions run` as a child of the test, against a daemon; ended with the test (call
/// `stop()` in a `defer`; `deinit` does too). The commands it starts are the test's to end: each
/// test's commands end by themselves or are killed by the pids they write.
final class ActionsRunner {
    let configPath: String
    let stateDirectory: String
    let socket: String
    private(set) var process: ChildProcess?
    /// Every run's standard error, the ended ones' included.
    private var earlierLogs = ""

    init(configPath: String, stateDirectory: String, socket: String) {
        self.configPath = configPath
        self.stateDirectory = stateDirectory
        self.socket = socket
    }

    /// Starts it and waits until it reads the event stream.
    func start() throws {
        let process = try ChildProcess(
            DaemonProcess.cli.path,
            ["actions", "run", "--config", configPath, "--state-dir", stateDirectory, "--socket", socket],
            environment: ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"])
        self.process = process
        let connected = waitUntil(.seconds(20)) { process.errorOutput.contains("reading taskhookd's events") }
        guard connected else {
            throw TestClientError("taskhook actions run did not connect: \(process.errorOutput)")
        }
    }

    var log: String { earlierLogs + (process?.errorOutput ?? "") }

    /// SIGTERM, and its exit status once it has let its attempts finish.
    func terminate() -> Int32? {
        guard let process else { return nil }
        process.signal(SIGTERM)
        let status = process.wait(timeout: .seconds(20))
        end()
        return status
    }

    /// SIGKILL to the runner alone (not its commands, which have process groups of their own).
    func kill() {
        process?.signal(SIGKILL)
        _ = process?.wait(timeout: .seconds(10))
        end()
    }

    private func end() {
        earlierLogs += process?.errorOutput ?? ""
        process?.stop()
        process = nil
    }

    func stop() { end() }

    deinit { end() }

    /// `taskhook actions list --json`, one object per job.
    func list() -> [[String: Any]] {
        guard
            let result = try? DaemonProcess.runCLI(["actions", "list", "--state-dir", stateDirectory, "--json"]),
            result.status == 0
        else { return [] }
        return result.output.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    /// The listing's row for one task and action, once it has one.
    func row(task: String, action: String) -> [String: Any]? {
        list().first { $0["task"] as? String == task && $0["action"] as? String == action }
    }

    /// Waits until the job's outcome is `outcome`; the row then.
    func waitForOutcome(task: String, action: String, _ outcome: String, timeout: Duration = .seconds(20)) -> [String:
        Any]?
    {
        var found: [String: Any]?
        _ = waitUntil(timeout) {
            found = row(task: task, action: action)
            return found?["outcome"] as? String == outcome
        }
        return found?["outcome"] as? String == outcome ? found : nil
    }
}

/// Polls `condition` every 20 ms until it holds or `timeout` passes.
func waitUntil(_ timeout: Duration, _ condition: () -> Bool) -> Bool {
    let deadline = Instant.now() + timeout
    while !condition() {
        if Instant.now() > deadline { return false }
        usleep(20_000)
    }
    return true
}

/// A script the actions run, in a directory of the test's: each run appends a line to `runs`
/// (`TASK_ID pid`), keeps its environment and standard input, and does what `body` adds.
struct RecordingScript {
    let directory: String

    init(directory: String, body: String = "") throws {
        self.directory = directory
        let script = """
            import os, sys, time
            d = sys.argv[1]
            task = os.environ['TASK_ID']
            with open(d + '/runs', 'a') as f:
                f.write(task + ' ' + str(os.getpid()) + ' ' + str(time.time()) + '\\n')
            open(d + '/environ.' + task, 'wb').write(open('/proc/self/environ', 'rb').read())
            open(d + '/stdin.' + task, 'wb').write(sys.stdin.buffer.read())
            \(body)
            """
        try script.write(toFile: directory + "/action.py", atomically: true, encoding: .utf8)
    }

    /// The `run:` list that runs it: Debian's python3 (a PATH shim such as pyenv's would add to
    /// the environment the test checks).
    var run: String { "[/usr/bin/python3, \(directory)/action.py, \(directory)]" }

    /// The runs so far: task id, pid, time.
    var runs: [(task: String, pid: Int32, time: Double)] {
        let text = (try? String(contentsOfFile: directory + "/runs", encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { line in
            let parts = line.split(separator: " ")
            guard parts.count == 3, let pid = Int32(parts[1]), let time = Double(parts[2]) else { return nil }
            return (String(parts[0]), pid, time)
        }
    }

    /// The environment a run of `task` had.
    func environment(_ task: String) -> [String: String] {
        let text = (try? String(contentsOfFile: directory + "/environ." + task, encoding: .utf8)) ?? ""
        var variables: [String: String] = [:]
        for entry in text.split(separator: "\0") {
            let parts = entry.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            variables[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
        }
        return variables
    }

    func input(_ task: String) -> [String: Any]? {
        guard let data = FileManager.default.contents(atPath: directory + "/stdin." + task) else { return nil }
        return try? JSONSerialization.jsonObject(with: data) as? [String: Any]
    }

    /// Ends every process a run started that still runs.
    func killAll() {
        for run in runs { Glibc.kill(-run.pid, SIGKILL) }
    }
}
