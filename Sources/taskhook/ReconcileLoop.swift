import ArgumentParser
import Foundation
import TaskhookClient
import TaskhookCore
import TaskhookProviders

/// Carries out a `Reconciler`'s actions: lists the expected tasks, runs each read (provider status,
/// then the observation to taskhookd) as a task of its own, feeds the results back, sleeps until the
/// next thing is due, and stops on SIGTERM/SIGINT once the reads under way are done.
struct ReconcileLoop {
    let endpoint: ControlEndpoint
    var reconciler: Reconciler
    let keys: APIKeySource
    static let pageSize = 500

    enum Event: Sendable {
        case finished(PollTarget, Reconciler.ReadResult, started: Double, ended: Double)
        case wake
        case stop(Int32)
    }

    /// Runs until stopped (nil: exit 0) or, with `once`, until the pass is over.
    mutating func run() async -> ExitCode? {
        let (events, sink) = AsyncStream.makeStream(of: Event.self)
        let signals = [SIGTERM, SIGINT].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { sink.yield(.stop(number)) }
            source.resume()
            return source
        }
        defer { for source in signals { source.cancel() } }
        var pending = events.makeAsyncIterator()
        var underWay = 0
        var stopping = false
        var wake: Task<Void, Never>?
        var credentials: [SeedEndpoint: Result<ProviderCredentials, APIKeySource.Missing>] = [:]
        let timeout = reconciler.settings.policy.requestTimeout
        while true {
            if stopping {
                if underWay == 0 { return nil }
            } else {
                switch reconciler.next(now: Self.now()) {
                case .list:
                    credentials = [:]  // read again: a key may have been added or rotated
                    if let status = await list() { return status }
                    continue
                case .read(let target):
                    let key =
                        credentials[target.endpoint]
                        ?? Result { () throws(APIKeySource.Missing) in try keys.credentials(for: target.endpoint) }
                    credentials[target.endpoint] = key
                    underWay += 1
                    let endpoint = self.endpoint
                    Task {
                        let started = Self.now()
                        let result = await Self.read(target, credentials: key, control: endpoint, timeout: timeout)
                        sink.yield(.finished(target, result, started: started, ended: Self.now()))
                    }
                    continue
                case .finish:
                    return passStatus()
                case .wait(let until):
                    if until.isFinite {
                        let delay = max(0, until - Self.now())
                        wake = Task {
                            try? await Task.sleep(for: .milliseconds(Int64(delay * 1000) + 1))
                            if !Task.isCancelled { sink.yield(.wake) }
                        }
                    }
                }
            }
            guard let event = await pending.next() else { return nil }
            wake?.cancel()
            wake = nil
            switch event {
            case .finished(let target, let result, let started, let ended):
                underWay -= 1
                ReconcileLog.read(target, result, seconds: ended - started)
                if let notice = reconciler.finished(target, result, now: ended, unit: Double.random(in: 0..<1)) {
                    ReconcileLog.notice(notice)
                }
            case .wake:
                break
            case .stop(let number):
                if !stopping {
                    ReconcileLog.line(
                        "info", "stopping",
                        [("signal", number == SIGTERM ? "SIGTERM" : "SIGINT"), ("reads_under_way", "\(underWay)")])
                }
                stopping = true
            }
        }
    }

    /// Every page of the expected tasks, handed to the reconciler; in one pass, a daemon that does
    /// not answer ends it (69).
    mutating func list() async -> ExitCode? {
        let endpoint = self.endpoint
        let timeout = reconciler.settings.policy.requestTimeout
        let listing = await Self.offPool { () throws(ControlError) -> [TaskView] in
            var tasks: [TaskView] = []
            var cursor: String?
            repeat {
                let target = ControlTarget.expected(limit: Self.pageSize, after: cursor)
                let answer = try ControlConnection.get(endpoint, target, timeout: .milliseconds(Int64(timeout * 1000)))
                guard answer.status == 200 else {
                    throw ControlError.broken("taskhookd answered \(answer.status) to the listing: \(answer.message)")
                }
                let page = try ExpectedPage.parse(answer.body)
                tasks += page.tasks
                cursor = page.next
            } while cursor != nil
            return tasks
        }
        let now = Self.now()
        switch listing {
        case .success(let tasks):
            for notice in reconciler.listed(tasks, now: now) { ReconcileLog.notice(notice) }
            return nil
        case .failure(let error):
            let notice = reconciler.listingFailed(error.description, now: now, unit: Double.random(in: 0..<1))
            ReconcileLog.notice(notice)
            return reconciler.settings.once ? ExitStatus.unavailable : nil
        }
    }

    /// One pass's end: 0 when every due task was read, else 1 naming those that were not.
    func passStatus() -> ExitCode? {
        let unread = reconciler.unread.sorted { $0.key < $1.key }
        ReconcileLog.line("info", "pass done", [("read", "\(reconciler.read)"), ("unread", "\(unread.count)")])
        guard !unread.isEmpty else { return nil }
        for (key, reason) in unread { printError("taskhook reconcile: could not read \(key): \(reason)") }
        return ExitStatus.problems
    }

    /// Reads `target`'s status and hands an observation to taskhookd.
    static func read(
        _ target: PollTarget, credentials: Result<ProviderCredentials, APIKeySource.Missing>,
        control: ControlEndpoint, timeout: Double
    ) async -> Reconciler.ReadResult {
        let key: ProviderCredentials
        switch credentials {
        case .success(let found): key = found
        case .failure(let missing): return .providerFailed(.usage("\(target.endpoint.rawValue): \(missing)"))
        }
        switch await TaskPoll.read(target.endpoint, target.task, credentials: key, timeout: timeout) {
        case .running(let word): return .running(word)
        case .failed(let error): return .providerFailed(error)
        case .observed(let body):
            let answer = await offPool { () throws(ControlError) -> ControlResponse in
                try ControlConnection.post(
                    control, ControlTarget.observations(target.key), body: body,
                    timeout: .milliseconds(Int64(timeout * 1000)))
            }
            switch answer {
            case .failure(let error): return .daemonUnavailable(error.description)
            case .success(let response) where response.status == 200:
                guard let read = try? ObservationAnswer.parse(response.body) else {
                    return .daemonRefused(status: 200, "an answer this reconciler does not understand")
                }
                return .handedOver(read.outcome, status: read.task.status ?? "unknown", terminal: read.task.terminal)
            case .success(let response) where [404, 409, 422, 400].contains(response.status):
                return .daemonRefused(status: response.status, response.message)
            case .success(let response):
                return .daemonUnavailable("taskhookd answered \(response.status): \(response.message)")
            }
        }
    }

    /// Blocking control-socket work on a Dispatch thread, not the cooperative pool.
    static func offPool<T: Sendable>(_ work: @escaping @Sendable () throws(ControlError) -> T) async
        -> Result<T, ControlError>
    {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: Result(catching: work)) }
        }
    }

    static func now() -> Double { Date().timeIntervalSince1970 }
}
