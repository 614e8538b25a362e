import TaskhookClient
import TaskhookPosix

/// Carries out a `TaskWaiter`'s actions: opens and closes the long polls, waits for their
/// answers on one epoll set, reports each back, and keeps the status line up to date.
struct WaitLoop {
    let endpoint: ControlEndpoint
    let statusLine: StatusLine

    func run(_ waiter: inout TaskWaiter) {
        _ = FileSystem.raiseDescriptorLimit()  // one descriptor per waited-for task
        var polls: [Int: ControlConnection] = [:]
        guard let epoll = try? Epoll() else {
            printError("taskhook wait: cannot create an epoll instance")
            return
        }
        func close(_ task: Int) {
            guard let connection = polls.removeValue(forKey: task) else { return }
            try? epoll.remove(connection.descriptor)
        }
        while true {
            let now = Instant.now()
            switch waiter.next(now: now) {
            case .poll(let task, let target):
                do {
                    let connection = try ControlConnection(endpoint, target: target)
                    try? epoll.add(connection.descriptor, events: .readable, token: UInt64(task))
                    polls[task] = connection
                    waiter.opened(task: task, at: now)
                } catch {
                    waiter.failed(task: task, error, at: Instant.now())
                }
            case .drop(let task):
                close(task)
            case .look(let task, let target):
                waiter.looked(
                    task: task, try? ControlConnection.get(endpoint, target, timeout: .seconds(2)), at: .now())
            case .notice(let text):
                if !statusLine.isEnabled { printError("taskhook wait: \(text)") }
            case .finish:
                return
            case .await(let until):
                var ready: [Int] = []
                let timeout = Int32(clamping: max(0, (until - now).milliseconds + 1))
                try? epoll.wait(timeoutMilliseconds: timeout) { token, _ in ready.append(Int(token)) }
                let now = Instant.now()
                for task in ready {
                    guard let connection = polls[task] else { continue }
                    do {
                        guard let response = try connection.readAvailable() else { continue }
                        close(task)
                        waiter.answered(task: task, response, at: now)
                    } catch {
                        close(task)
                        waiter.failed(task: task, error, at: now)
                    }
                }
                if !waiter.isDone { statusLine.show(waiter.statusText(now: Instant.now())) }
            }
        }
    }
}
