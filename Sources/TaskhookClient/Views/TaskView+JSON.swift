import TaskhookCore

extension TaskView {
    /// A task from the body of `GET /v1/tasks/{id}`.
    public static func parse(_ body: [UInt8]) throws(ControlError) -> TaskView {
        do {
            return try TaskView(json: JSON.parse(body))
        } catch let error as ViewError {
            throw error.controlError
        } catch {
            throw ViewError("\(error)").controlError
        }
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
                        deliveryID: try delivery.string("delivery_id")))
            }
        }
        self.init(
            id: try fields.required("id", fields.string), known: try fields.bool("known"),
            provider: try fields.string("provider"), status: try fields.string("status"),
            terminal: try fields.required("terminal", fields.bool), results: try fields.strings("results"),
            error: try fields.string("error"), firstSeen: try fields.int64("first_seen"),
            updated: try fields.int64("updated"), deliveries: deliveries)
        externalID = try fields.string("external_id")
    }
}
