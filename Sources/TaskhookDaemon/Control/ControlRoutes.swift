import TaskhookCore
import TaskhookHTTP
import TaskhookPosix
import TaskhookState

/// The control API for jobs, on the Unix control socket (and the optional admin listener):
///
///     GET /v1/tasks/{ref}           the task, 404 if unknown; `ref` is `provider:id`, or a bare
///                                   id when one provider has it (409 with the candidates if several)
///     GET /v1/tasks/{id}?wait=S     long-poll: at once if terminal, else when it becomes terminal
///                                   (woken only by durable events), else after S seconds with
///                                   "terminal": false; the task need not be known yet
///     GET /v1/tasks?status=&provider=&external=&since=&limit=&after=   a page of tasks
///     GET /v1/unparsed              authentic callbacks no profile reads yet (see `UnparsedListing`)
///     POST /v1/tasks, POST /v1/tasks/{ref}/observations, GET /v1/expected
///                                   expected tasks and status reads (see `ExpectationRoutes`)
///     GET /v1/events                Server-Sent Events of task changes (see `EventStream`)
///     GET /metrics                  Prometheus text
///     GET /healthz
final class ControlRoutes: HTTPHandler {
    /// One long-poll: its answer, and the timer that ends it.
    private final class Waiter: TaskEndWaiter {
        let responder: any Responder
        var timer: EventLoop.TimerID?
        unowned let loop: EventLoop

        init(responder: any Responder, loop: EventLoop) {
            self.responder = responder
            self.loop = loop
        }

        func taskEnded(_ task: TrackedTask) { answer(.json(.ok, task.jsonBytes)) }

        func answer(_ response: Response) {
            if let timer { loop.removeTimer(timer) }
            responder.respond(response)
        }
    }

    /// Longest wait a request may ask for.
    static let maxWaitSeconds = 3600

    let store: TaskStore
    private let loop: EventLoop
    private var stopping = false
    let events: EventStream
    /// Renders `/metrics` (the daemon knows every source).
    private let metricsText: () -> [UInt8]
    /// The callbacks still unparsed (the daemon's re-reader holds them).
    private let unparsed: () -> [UnparsedCallback]
    /// Registrations and status reads (nil: answered 404, as in tests of the reading side).
    var expectations: ExpectationRoutes?
    /// How long a `/v1/tasks` page goes on looking at tasks (`defaultListingTime`).
    var listingTime = ControlRoutes.defaultListingTime

    init(
        store: TaskStore, loop: EventLoop, events: EventStream, metricsText: @escaping () -> [UInt8],
        unparsed: @escaping () -> [UnparsedCallback] = { [] }
    ) {
        self.store = store
        self.loop = loop
        self.events = events
        self.metricsText = metricsText
        self.unparsed = unparsed
    }

    func decide(_ head: RequestHead, connection: ConnectionInfo) -> HeadDecision {
        if expectations != nil, let decision = ExpectationRoutes.decide(head) { return decision }
        guard
            head.path == "/healthz" || head.path == "/v1/tasks" || head.path.hasPrefix("/v1/tasks/")
                || head.path == "/v1/events" || head.path == "/metrics" || head.path == "/v1/unparsed"
        else {
            return .respond(Self.error(.notFound, "no route for \(head.path)"))
        }
        guard head.method == "GET" || head.method == "HEAD" else {
            var response = Self.error(.methodNotAllowed, "method not allowed; use GET")
            response.headers.append(name: "Allow", value: "GET, HEAD")
            return .respond(response)
        }
        return .readBody
    }

    func handle(_ request: Request, connection: ConnectionInfo, responder: any Responder) {
        let path = request.head.path
        let query = Query(request.head.query)
        if path == "/healthz" {
            responder.respond(.text(.ok, "ok"))
        } else if path == "/metrics" {
            responder.respond(
                Response(
                    status: .ok, headers: HTTPFields([("Content-Type", "text/plain; version=0.0.4; charset=utf-8")]),
                    body: metricsText()))
        } else if let expectations, path == "/v1/expected" || request.head.method == "POST" {
            expectations.handle(request, query: query, responder: responder)
        } else if path == "/v1/tasks" {
            list(query, responder)
        } else if path == "/v1/unparsed" {
            responder.respond(.json(.ok, UnparsedListing.json(unparsed()).bytes))
        } else if path == "/v1/events" {
            guard !stopping else {
                responder.respond(Self.shuttingDown)
                return
            }
            events.subscribe(request, query, responder)
        } else {
            let id = Query.percentDecoded(String(path.dropFirst("/v1/tasks/".count)), plusIsSpace: false)
            guard !id.isEmpty, !id.contains("/") else {
                responder.respond(Self.error(.notFound, "no route for \(path)"))
                return
            }
            task(id, query, responder)
        }
    }

    // MARK: One task

    private func task(_ id: String, _ query: Query, _ responder: any Responder) {
        var wait = 0
        if let text = query["wait"] {
            guard let seconds = Int(text), (0...Self.maxWaitSeconds).contains(seconds) else {
                responder.respond(
                    Self.error(.badRequest, "wait must be a whole number of seconds from 0 to \(Self.maxWaitSeconds)"))
                return
            }
            wait = seconds
        }
        let task: TrackedTask?
        switch store.resolve(id) {
        case .task(let found): task = found
        case .unknown: task = nil
        case .ambiguous(let keys):
            responder.respond(Self.ambiguous(id, keys))
            return
        }
        if task?.isTerminal == true || wait == 0 {
            responder.respond(task.map { .json(.ok, $0.jsonBytes) } ?? Self.error(.notFound, "unknown task \(id)"))
            return
        }
        // A known task is waited for by its key, so another provider's task with the same id
        // does not end the wait; an unknown one by the reference as given.
        let name = task?.key.description ?? id
        guard !stopping else {
            responder.respond(Self.shuttingDown)
            return
        }
        // The timer, a client that goes away, and a wake-up all end the wait; whichever comes
        // first removes the waiter from the store, so the others find nothing to do.
        let waiter = Waiter(responder: responder, loop: loop)
        guard let waiterID = store.addWaiter(waiter, for: name) else {
            var response = Self.error(.serviceUnavailable, "too many waiters (\(store.waiterLimit)); retry later")
            response.headers.append(name: "Retry-After", value: "1")
            responder.respond(response)
            return
        }
        let expiry = loop.addTimer { [unowned self] in
            guard self.store.removeWaiter(waiterID) != nil else { return }
            waiter.answer(self.current(name))
        }
        waiter.timer = expiry
        loop.setTimer(expiry, deadline: loop.now + .seconds(wait))
        responder.onDisconnect = { [unowned self] in
            guard self.store.removeWaiter(waiterID) != nil, let timer = waiter.timer else { return }
            self.loop.removeTimer(timer)
        }
        // A client that shut down its side is treated as gone: it is answered now, so the
        // connection can end, instead of holding a waiter until the wait runs out.
        responder.onInputClosed = { [unowned self] in
            guard self.store.removeWaiter(waiterID) != nil else { return }
            waiter.answer(self.current(name))
        }
    }

    /// The task's state now (at the end of a wait that did not see it finish).
    private func current(_ id: String) -> Response {
        switch store.resolve(id) {
        case .task(let task): return .json(.ok, task.jsonBytes)
        case .ambiguous(let keys): return Self.ambiguous(id, keys)
        case .unknown: break
        }
        let unknown: JSON = ["id": .string(id), "known": false, "terminal": false]
        return .json(.ok, unknown.bytes)
    }

    /// Stopping: every waiter gets a clean answer now (503, retry), never a reset.
    func shutdown() {
        stopping = true
        events.shutdown()
        for case let waiter as Waiter in store.takeAllWaiters() { waiter.answer(Self.shuttingDown) }
    }

    static let shuttingDown: Response = {
        var response = error(.serviceUnavailable, "taskhookd is stopping; retry")
        response.headers.append(name: "Retry-After", value: "2")
        return response
    }()

    static func error(_ status: HTTPStatus, _ message: String) -> Response {
        let body: JSON = ["error": .string(message)]
        return .json(status, body.bytes)
    }
}
