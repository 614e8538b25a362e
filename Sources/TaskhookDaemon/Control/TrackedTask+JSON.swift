import TaskhookCore

extension TrackedTask {
    /// The task as the control API shows it.
    var json: JSON {
        .object([
            ("id", .string(id)), ("provider", .string(provider)), ("key", .string(key.description)),
            ("external_id", .optional(externalID)), ("status", .string(status.rawValue)),
            ("terminal", .bool(isTerminal)), ("results", .array(results.map { .string($0) })),
            ("error", .optional(error)),
            ("first_seen", .integer(firstSeen)), ("updated", .integer(updated)), ("last_heard", .integer(lastHeard)),
            ("expected", expectation?.json ?? .null),
            (
                "deliveries",
                .array(
                    reports.map {
                        .object([
                            ("sequence", .integer($0.sequence)), ("status", .string($0.status.rawValue)),
                            ("time", .integer($0.time)), ("applied", .bool($0.applied)),
                            ("delivery_id", .optional($0.deliveryID)), ("source", .string($0.source.description)),
                        ])
                    })
            ),
        ])
    }
}

extension Expectation {
    var json: JSON {
        .object([
            ("endpoint", .optional(endpoint)), ("status_url", .optional(statusURL)),
            ("result_url", .optional(resultURL)), ("deadline", .integer(deadline)),
            ("labels", .object(labels.map { ($0.name, .string($0.value)) })),
            ("registration", .optional(registration)), ("registered", .integer(registered)),
        ])
    }
}

extension Registration {
    /// A registration not yet bound to a task id, as the control API shows it.
    var json: JSON {
        .object([
            ("registration", .string(id)), ("provider", .string(provider)),
            ("endpoint", .optional(expectation.endpoint)), ("deadline", .integer(expectation.deadline)),
            ("registered", .integer(expectation.registered)), ("external_id", .optional(externalID)),
            ("labels", .object(expectation.labels.map { ($0.name, .string($0.value)) })),
        ])
    }
}
