import TaskhookCore
import TaskhookHTTP
import TaskhookPosix
import TaskhookState

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
        // Walked from the cursor in the table's update order, not filtered and sorted whole, and
        // written task by task, so the page can end early: `{"tasks":[…],"next":…}`.
        let table = store.table
        let started = Instant.now()
        var body = Array(#"{"tasks":["#.utf8)
        var count = 0
        var looked = 0
        var passed: PackedTask?  // the last task looked at and shown or passed over
        var more = false
        // Status and provider are read in place; only a filter on the external id unpacks a task.
        for task in table.order.walk(since: since, after: cursor) {
            guard
                looked < Self.listingLooks, body.count < Self.listingPageBytes,
                looked % Self.listingClockEvery != 0 || looked == 0 || Instant.now() - started < listingTime
            else {
                more = true
                break
            }
            looked += 1
            guard
                status == nil || task.status == status, provider == nil || task.provider == provider,
                external == nil || task.task.externalID == external
            else {
                passed = task
                continue
            }
            guard count < limit else {
                more = true  // another task matches
                break
            }
            if count > 0 { body.append(UInt8(ascii: ",")) }
            task.task.writeJSON(into: &body)
            count += 1
            passed = task
        }
        body += #"],"next":"#.utf8
        if more, let passed {
            JSON.appendQuoted("\(passed.updated):\(passed.key.id)", to: &body)
        } else {
            body += "null".utf8
        }
        body.append(UInt8(ascii: "}"))
        responder.respond(.json(.ok, body))
    }

    /// A page stops once its text reaches this size, even short of `limit`, and its `next` goes
    /// on from there: encoding is the event loop's work, and 1,000 tasks with long result URLs
    /// or many deliveries (1 MB of JSON) held the loop for over 10 ms. At 64 KiB (about a
    /// hundred tasks with a result URL) a page is about a millisecond of the loop.
    static let listingPageBytes = 64 * 1024
    /// Tasks one page looks at, at most: a filter few tasks pass (`status=failed` in a million
    /// completed ones) would otherwise walk the whole table in one go. Such a page may come back
    /// short, or empty, with a `next` that goes on after the last task looked at.
    static let listingLooks = 4_096
    /// And a page stops after this long, its `next` going on from the last task it looked at:
    /// the two bounds above hold on a quiet machine, but each task looked at is a cache miss,
    /// and on a VM whose host slows memory for a moment a page of them took 79 ms
    /// (bench/hostile.sh). The clock is read every `listingClockEvery` tasks.
    static let defaultListingTime = Duration.milliseconds(2)
    static let listingClockEvery = 16
}
