import TaskhookCore

extension TrackedTask {
    /// The task as the control API shows it, appended to `out` with no tree of values built: a
    /// `/v1/tasks` page writes hundreds of tasks in one go of the event loop.
    func writeJSON(into out: inout [UInt8]) {
        JSONObjectWriter.write(into: &out) { task in
            task.string("id", id)
            task.string("provider", provider)
            task.string("key", key.description)
            task.optional("external_id", externalID)
            task.string("status", status.rawValue)
            task.bool("terminal", isTerminal)
            task.strings("results", results)
            task.optional("error", error)
            task.integer("first_seen", firstSeen)
            task.integer("updated", updated)
            task.integer("last_heard", lastHeard)
            task.value("expected", expectation?.json ?? .null)
            task.objects("deliveries", reports) { report, delivery in
                report.integer("sequence", delivery.sequence)
                report.string("status", delivery.status.rawValue)
                report.integer("time", delivery.time)
                report.bool("applied", delivery.applied)
                report.optional("delivery_id", delivery.deliveryID)
                report.string("source", delivery.source.description)
            }
        }
    }

    /// `writeJSON`'s text alone.
    var jsonBytes: [UInt8] {
        var bytes: [UInt8] = []
        writeJSON(into: &bytes)
        return bytes
    }

    /// The same as a `JSON` value, for answers that hold it in another object: read back from
    /// `writeJSON`, so that the task's shape is written in one place.
    var json: JSON {
        do {
            return try JSON.parse(jsonBytes)
        } catch {
            preconditionFailure("a task's own JSON does not parse: \(error)")
        }
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
