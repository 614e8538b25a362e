import TaskhookCore
import TaskhookHTTP
import TaskhookJournal
import TaskhookPosix
import TaskhookProviders
import TaskhookState

/// The control API's writing side, for jobs and the reconciler (README, "Waiting jobs: the
/// control API"):
///
///     POST /v1/tasks                      register an expected task, or a registration before
///                                         the provider is called, or bind one (`expect` record)
///     POST /v1/tasks/{ref}/observations   what a status read found (`observation` record),
///                                         read by the task's provider profile like a callback
///     GET  /v1/expected                   the expected tasks not yet ended, for the reconciler
///
/// Every 2xx is answered once its record is durable, and the store changes only then.
final class ExpectationRoutes {
    /// The largest body these routes read.
    static let bodyLimit = 64 * 1024

    private let store: TaskStore
    private let recorder: DeliveryRecorder
    /// The normalizer of the routes that receive a provider identity's callbacks (nil: none).
    private let normalizer: (String) -> (any PayloadNormalizer)?
    private let clock: () -> Int64
    private let metrics: DaemonMetrics?
    private let newRegistrationID: () -> String

    init(
        store: TaskStore, recorder: DeliveryRecorder, normalizer: @escaping (String) -> (any PayloadNormalizer)?,
        metrics: DaemonMetrics? = nil, clock: @escaping () -> Int64 = FileSystem.wallClockMilliseconds,
        newRegistrationID: @escaping () -> String = ExpectRecord.newRegistrationID
    ) {
        self.store = store
        self.recorder = recorder
        self.normalizer = normalizer
        self.clock = clock
        self.metrics = metrics
        self.newRegistrationID = newRegistrationID
    }

    /// Whether these routes answer `head`: a path of theirs with its method, a JSON body of at
    /// most `bodyLimit` bytes; otherwise the answer.
    static func decide(_ head: RequestHead) -> HeadDecision? {
        let isObservation = head.path.hasPrefix("/v1/tasks/") && head.path.hasSuffix("/observations")
        if head.path == "/v1/expected" {
            return ["GET", "HEAD"].contains(head.method) ? .readBody : .respond(notAllowed("GET, HEAD"))
        }
        guard head.method == "POST" else {
            return isObservation ? .respond(notAllowed("POST")) : nil
        }
        guard head.path == "/v1/tasks" || isObservation else { return .respond(notAllowed("GET, HEAD")) }
        if case .contentLength(let length) = head.framing, length > UInt64(bodyLimit) {
            return .respond(ControlRoutes.error(.contentTooLarge, "the body may be at most \(bodyLimit) bytes"))
        }
        if let type = head.fields.first("content-type"), !MediaType.isJSON(type.valueBytes) {
            return .respond(ControlRoutes.error(.unsupportedMediaType, "the body must be application/json"))
        }
        return .readBody
    }

    private static func notAllowed(_ allow: String) -> Response {
        var response = ControlRoutes.error(.methodNotAllowed, "method not allowed; use \(allow)")
        response.headers.append(name: "Allow", value: allow)
        return response
    }

    /// Answers a request `decide` let through.
    func handle(_ request: Request, query: Query, responder: any Responder) {
        guard request.body.count <= Self.bodyLimit else {
            responder.respond(ControlRoutes.error(.contentTooLarge, "the body may be at most \(Self.bodyLimit) bytes"))
            return
        }
        let path = request.head.path
        if path == "/v1/expected" {
            expected(query, responder)
        } else if path == "/v1/tasks" {
            register(request.body, responder)
        } else {
            let reference = path.dropFirst("/v1/tasks/".count).dropLast("/observations".count)
            observe(Query.percentDecoded(String(reference), plusIsSpace: false), request.body, responder)
        }
    }

    // MARK: Registering

    private func register(_ body: [UInt8], _ responder: any Responder) {
        var record: ExpectRecord
        do throws(ExpectRecord.Problem) {
            guard let json = try? JSON.parse(body) else { throw ExpectRecord.Problem("the body is not JSON") }
            record = try ExpectRecord(json: json)
        } catch {
            responder.respond(ControlRoutes.error(.badRequest, error.description))
            return
        }
        guard normalizer(record.provider) != nil else {
            responder.respond(
                ControlRoutes.error(
                    .unprocessableContent,
                    "unknown provider \(record.provider): neither a built-in profile "
                        + "(\(ProviderProfiles.names.sorted().joined(separator: ", "))) nor a configured route's name"))
            return
        }
        let now = clock()
        if let deadline = record.deadline, deadline <= now {
            responder.respond(ControlRoutes.error(.badRequest, "deadline \(deadline) is not in the future"))
            return
        }
        let plan: ExpectationPlan.Planned
        switch ExpectationPlan.make(record, table: store.table, now: now, newRegistrationID: newRegistrationID) {
        case .refused(let status, let reason):
            responder.respond(ControlRoutes.error(status, reason))
            return
        case .unchanged(let json):
            responder.respond(.json(.ok, json.bytes))
            return
        case .journal(let planned):
            plan = planned
        }
        record = plan.record
        recorder.record(.expect, body: record.encoded) { [store] sequence, time in
            store.expect(record, sequence: sequence, time: time)
        } completion: { [store] outcome in
            guard case .recorded = outcome else {
                responder.respond(Self.notRecorded(outcome))
                return
            }
            responder.respond(.json(plan.isNew ? .created : .ok, plan.answer(store.table).bytes))
        }
    }

    // MARK: Status reads

    private func observe(_ reference: String, _ body: [UInt8], _ responder: any Responder) {
        let task: TrackedTask
        switch store.resolve(reference) {
        case .task(let found): task = found
        case .unknown:
            metrics?.observation(outcome: "refused")
            responder.respond(ControlRoutes.error(.notFound, "unknown task \(reference)"))
            return
        case .ambiguous(let keys):
            responder.respond(ControlRoutes.ambiguous(reference, keys))
            return
        }
        guard let normalizer = normalizer(task.provider) else {
            responder.respond(
                ControlRoutes.error(
                    .unprocessableContent, "no configured route reads provider \(task.provider)'s statuses"))
            return
        }
        let events: [TaskEvent]
        switch ObservationReading.read(body, for: task.key, normalizer: normalizer, now: clock()) {
        case .refused(let reason):
            metrics?.observation(outcome: "refused")
            responder.respond(ControlRoutes.error(.unprocessableContent, reason))
            return
        case .events(let read):
            events = read
        }
        if store.isDuplicate(events, deliveryID: nil, source: .observation) {
            metrics?.observation(outcome: "duplicate")
            responder.respond(.json(.ok, Self.observed("duplicate", task).bytes))
            return
        }
        let delivery = Delivery(
            route: "/v1/tasks/\(task.key)/observations", provider: task.provider, remoteAddress: "control",
            deliveryID: nil, headers: [], body: body, events: events)
        var outcomes: [TaskTable.Outcome] = []
        recorder.record(.observation, body: delivery.encoded()) { [store] sequence, time in
            outcomes = store.apply(events, deliveryID: nil, source: .observation, sequence: sequence, time: time)
        } completion: { [store, metrics] outcome in
            guard case .recorded = outcome, let now = store[task.key] else {
                metrics?.observation(outcome: "failed")
                responder.respond(Self.notRecorded(outcome))
                return
            }
            let word =
                outcomes.contains { $0.changedTask } ? "changed" : outcomes.contains(.kept) ? "kept" : "duplicate"
            metrics?.observation(outcome: word)
            responder.respond(.json(.ok, Self.observed(word, now).bytes))
        }
    }

    private static func observed(_ outcome: String, _ task: TrackedTask) -> JSON {
        .object([("outcome", .string(outcome)), ("task", task.json)])
    }

    // MARK: The reconciler's list

    private func expected(_ query: Query, _ responder: any Responder) {
        var limit = 1000
        if let text = query["limit"] {
            guard let value = Int(text), (1...1000).contains(value) else {
                responder.respond(ControlRoutes.error(.badRequest, "limit must be a whole number from 1 to 1000"))
                return
            }
            limit = value
        }
        var cursor: TaskKey?
        if let after = query["after"] {
            guard let key = TaskKey(qualified: after) else {
                responder.respond(ControlRoutes.error(.badRequest, "after must be the next value of the previous page"))
                return
            }
            cursor = key
        }
        let page = store.table.awaitedTasks(after: cursor, limit: limit + 1)
        let shown = page.prefix(limit)
        let pending: [JSON] =
            cursor == nil ? store.table.registrations.values.sorted { $0.id < $1.id }.map(\.json) : []
        let body: JSON = .object([
            ("tasks", .array(shown.map(\.json))), ("pending", .array(pending)),
            ("next", page.count > limit ? .string(shown.last!.key.description) : .null),
        ])
        responder.respond(.json(.ok, body.bytes))
    }

    // MARK: Helpers

    static func notRecorded(_ outcome: DeliveryRecorder.Outcome) -> Response {
        var response = ControlRoutes.error(.serviceUnavailable, "the journal did not record it (\(outcome)); retry")
        response.headers.append(name: "Retry-After", value: "1")
        return response
    }

}
