import TaskhookCore

extension TaskView {
    /// A task from the body of `GET /v1/tasks/{id}`.
    public static func parse(_ body: [UInt8]) throws(ControlError) -> TaskView {
        try ViewError.reading(body) { json throws(ViewError) in try TaskView(json: json) }
    }

    /// A task from its JSON object (as in a task listing).
    public init(json: JSON) throws(ViewError) {
        let fields = try JSONFields(json, "the task")
        var deliveries: [Delivery]?
        if let elements = try fields.array("deliveries") {
            deliveries = []
            for element in elements {
                let delivery = try JSONFields(element, "a delivery")
                deliveries?.append(
                    Delivery(
                        sequence: try delivery.required("sequence", delivery.int64),
                        status: try delivery.required("status", delivery.string),
                        time: try delivery.required("time", delivery.int64),
                        applied: try delivery.required("applied", delivery.bool),
                        deliveryID: try delivery.string("delivery_id"), source: try delivery.string("source")))
            }
        }
        self.init(
            id: try fields.required("id", fields.string), known: try fields.bool("known"),
            provider: try fields.string("provider"), status: try fields.string("status"),
            terminal: try fields.required("terminal", fields.bool), results: try fields.strings("results"),
            error: try fields.string("error"), firstSeen: try fields.int64("first_seen"),
            updated: try fields.int64("updated"), deliveries: deliveries)
        externalID = try fields.string("external_id")
        key = try fields.string("key")
        lastHeard = try fields.int64("last_heard")
        if let expected = json["expected"], !expected.isNull { self.expected = try Expectation(json: expected) }
    }
}

extension Expectation {
    /// A task's `expected` member.
    init(json: JSON) throws(ViewError) {
        let fields = try JSONFields(json, "the task's expectation")
        var labels: [Label] = []
        if let object = json["labels"], !object.isNull {
            guard case .object(let members) = object else { throw ViewError("the task's labels are not an object") }
            for member in members {
                guard let value = member.value.string else {
                    throw ViewError("the task's label \"\(member.key)\" is \(member.value.kind), not a string")
                }
                labels.append(Label(name: member.key, value: value))
            }
        }
        self.init(
            endpoint: try fields.string("endpoint"), statusURL: try fields.string("status_url"),
            resultURL: try fields.string("result_url"), deadline: try fields.required("deadline", fields.int64),
            labels: labels, registration: try fields.string("registration"),
            registered: try fields.required("registered", fields.int64))
    }
}
