import TaskhookCore
import TaskhookHTTP
import TaskhookState

/// `GET /v1/unparsed`: the authentic callbacks no profile reads yet, oldest first, each with its
/// journal sequence and time, route, provider, reason and body (as text, up to 4 KiB), so an
/// operator can see what a profile or `status-map` must learn. They are read again at every start
/// and reload; one that becomes readable leaves this list.
enum UnparsedListing {
    static let bodyPreviewBytes = 4096

    static func json(_ callbacks: [UnparsedCallback]) -> JSON {
        .object([
            (
                "unparsed",
                .array(
                    callbacks.map { callback in
                        let body = callback.delivery.body
                        return .object([
                            ("sequence", .integer(callback.sequence)), ("time", .integer(callback.time)),
                            ("route", .string(callback.delivery.route)),
                            ("provider", .string(callback.delivery.provider)),
                            ("reason", .string(callback.reason)),
                            ("delivery_id", .optional(callback.delivery.deliveryID)),
                            ("body", .string(String(decoding: body.prefix(bodyPreviewBytes), as: UTF8.self))),
                            ("body_bytes", .integer(Int64(body.count))),
                        ])
                    })
            )
        ])
    }
}

extension ControlRoutes {
    /// 409: a bare id several providers use; the answer names each `provider:id` to ask for.
    static func ambiguous(_ id: String, _ keys: [TaskKey]) -> Response {
        let names = keys.map(\.description)
        let body: JSON = [
            "error": .string(
                "task id \(id) is used by several providers; ask for one of \(names.joined(separator: ", "))"),
            "candidates": .array(names.map { .string($0) }),
        ]
        return .json(HTTPStatus(409, "Conflict"), body.bytes)
    }

}
