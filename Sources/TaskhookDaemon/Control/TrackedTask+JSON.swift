import TaskhookCore

extension TrackedTask {
    /// The task as the control API shows it.
    var json: JSON {
        .object([
            ("id", .string(id)), ("provider", .string(provider)), ("key", .string(key.description)),
            ("external_id", .optional(externalID)), ("status", .string(status.rawValue)),
            ("terminal", .bool(isTerminal)), ("results", .array(results.map { .string($0) })),
            ("error", .optional(error)),
            ("first_seen", .integer(firstSeen)), ("updated", .integer(updated)),
            (
                "deliveries",
                .array(
                    reports.map {
                        .object([
                            ("sequence", .integer($0.sequence)), ("status", .string($0.status.rawValue)),
                            ("time", .integer($0.time)), ("applied", .bool($0.applied)),
                            ("delivery_id", .optional($0.deliveryID)),
                        ])
                    })
            ),
        ])
    }
}
