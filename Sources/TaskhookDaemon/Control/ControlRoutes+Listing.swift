import TaskhookCore
import TaskhookHTTP

extension ControlRoutes {
    // MARK: Listing

    func list(_ query: Query, _ responder: any Responder) {
        var status: TaskStatus?
        if let text = query["status"] {
            guard let parsed = TaskStatus(rawValue: text) else {
                responder.respond(
                    Self.error(
                        .badRequest,
                        "status must be one of \(TaskStatus.allCases.map(\.rawValue).joined(separator: ", "))"))
                return
            }
            status = parsed
        }
        var since: Int64 = .min
        if let text = query["since"] {
            guard let value = Int64(text) else {
                responder.respond(Self.error(.badRequest, "since must be a time in milliseconds since the epoch"))
                return
            }
            since = value
        }
        var limit = 100
        if let text = query["limit"] {
            guard let value = Int(text), (1...1000).contains(value) else {
                responder.respond(Self.error(.badRequest, "limit must be a whole number from 1 to 1000"))
                return
            }
            limit = value
        }
        let provider = query["provider"]
        let external = query["external"]
        // Ordered by last update, then id. `after` is the previous page's `next`: a position
        // (updated:id), not a task, so pages neither skip nor fail when that task changes.
        var cursor: (updated: Int64, id: String)?
        if let after = query["after"] {
            guard let colon = after.firstIndex(of: ":"), let updated = Int64(after[..<colon]) else {
                responder.respond(Self.error(.badRequest, "after must be the next value of the previous page"))
                return
            }
            cursor = (updated, String(after[after.index(after: colon)...]))
        }
        // Walked from the cursor in the table's update order, not filtered and sorted whole.
        let table = store.table
        // Status and provider are read in place; only a filter on the external id unpacks a task.
        let (found, more) = table.order.page(since: since, after: cursor, limit: limit) { task in
            (status == nil || task.status == status) && (provider == nil || task.provider == provider)
                && (external == nil || task.task.externalID == external)
        }
        let page = found.map(\.task)
        let next: JSON = more ? .string("\(page.last!.updated):\(page.last!.id)") : .null
        let body: JSON = .object([("tasks", .array(page.map(\.json))), ("next", next)])
        responder.respond(.json(.ok, body.bytes))
    }
}
