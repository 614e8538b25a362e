import Glibc
import TaskhookPosix

/// One run of a command action: started (never through a shell), fed its standard input,
/// its output read line by line, and ended at its timeout (SIGTERM to its process group, SIGKILL
/// `killGrace` later). When it exits, whatever it left running in its process group is killed:
/// an action leaves nothing behind. SIGPIPE is ignored in this process (a command that does not
/// read its input must not kill the runner); the command itself starts with it at its default.
public enum CommandRun {
    public static let killGrace = Duration.seconds(5)

    /// How to run it: `captured` output goes to `line` (and the reason of a failure), in a
    /// process group of its own, with `timeout`; `inherited` (for `taskhook on` at a terminal)
    /// writes to this process's output and stays in its process group, so Ctrl-C reaches it.
    public static func run(
        _ invocation: CommandInvocation, timeout: Duration?, output: Subprocess.Output,
        line: (String) -> Void = { _ in }
    ) -> AttemptOutcome {
        SignalFD.ignoreSIGPIPE()
        let started = Instant.now()
        func elapsed() -> Int64 { (Instant.now() - started).milliseconds }
        let process: Subprocess
        do {
            var ownGroup = false
            if case .captured = output { ownGroup = true }
            process = try Subprocess.spawn(
                invocation.arguments, environment: invocation.environment, input: true, output: output,
                ownProcessGroup: ownGroup)
        } catch {
            return AttemptOutcome(
                kind: .failed, durationMilliseconds: elapsed(),
                error: "cannot start \(invocation.arguments[0]): \(error.errno)")
        }
        var lines = OutputLines()
        var input = invocation.input[...]
        var outputOpen = process.output != nil
        let deadline = timeout.map { started + $0 }
        var killAt: Instant?
        var timedOut = false
        var termination: Subprocess.Termination?
        while termination == nil {
            if input.isEmpty { process.closeInput() }
            var items: [(descriptor: Int32, events: Int16)] = []
            if outputOpen, let fd = process.output?.rawValue { items.append((fd, Int16(POLLIN))) }
            if let fd = process.input?.rawValue { items.append((fd, Int16(POLLOUT))) }
            // A short tick: the child's exit is noticed by reaping, not by the pipe's end, which
            // a background process it started may hold open.
            _ = try? Readiness.wait(items, timeoutMilliseconds: 50)
            if outputOpen { outputOpen = drain(process, &lines, line) }
            if process.input != nil {
                switch Result(catching: { () throws(SyscallError) in try process.writeInput(input) }) {
                case .success(.done(let count)): input = input.dropFirst(count)
                case .success(.wouldBlock): break
                case .failure: input = []  // it closed its standard input: it does not want the rest
                }
            }
            termination = process.reap(block: false)
            let now = Instant.now()
            if let deadline, now >= deadline, killAt == nil {
                timedOut = true
                process.signal(SIGTERM)
                killAt = now + killGrace
            }
            if let due = killAt, now >= due { process.signal(SIGKILL) }
        }
        if outputOpen { _ = drain(process, &lines, line) }
        for text in lines.finish() { line(text) }
        if lines.dropped > 0 { line("(\(lines.dropped) more lines of output not logged)") }
        process.killLeftovers()
        let ending = termination!
        let kind: AttemptOutcome.Kind = timedOut ? .timedOut : (ending == .exited(0) ? .succeeded : .failed)
        let reason = timedOut ? "still running after \(timeout!) (\(ending))" : ending.description
        return AttemptOutcome(
            kind: kind, exitStatus: ending.shellStatus, durationMilliseconds: elapsed(),
            error: kind == .succeeded ? nil : lines.reason(reason))
    }

    /// Reads what the output pipe holds; false at its end.
    private static func drain(_ process: Subprocess, _ lines: inout OutputLines, _ line: (String) -> Void) -> Bool {
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let result = buffer.withUnsafeMutableBytes { raw in
                Result { () throws(SyscallError) in try process.readOutput(into: raw) }
            }
            switch result {
            case .success(.wouldBlock): return true
            case .success(.done(0)), .failure: return false
            case .success(.done(let count)):
                for text in lines.feed(buffer[..<count]) { line(text) }
            }
        }
    }
}
