import TaskhookCore

/// Any other Standard Webhooks sender: where the task id, status, results and error sit is given by JSON
/// pointers, and the provider's status words by a map.
public struct GenericNormalizer: PayloadNormalizer {
    /// The `provider` of the events: the route's configured name.
    public let provider: String
    public let taskID: JSONPointer
    public let status: JSONPointer
    /// A string or an array of strings; absent or null means no results.
    public let results: JSONPointer?
    public let error: JSONPointer?
    public let statusMap: [String: TaskStatus]

    public init(
        provider: String, taskID: JSONPointer, status: JSONPointer, results: JSONPointer? = nil,
        error: JSONPointer? = nil, statusMap: [String: TaskStatus]
    ) {
        self.provider = provider
        self.taskID = taskID
        self.status = status
        self.results = results
        self.error = error
        self.statusMap = statusMap
    }

    public func normalize(_ callback: Callback) -> Normalized {
        do throws(PayloadProblem) {
            let document = try TaskObject(body: callback.body).value
            guard let idValue = taskID.resolve(in: document) else {
                throw PayloadProblem("no task id at \(pointerName(taskID))")
            }
            let id = try TaskObject.identifier(idValue, describedAs: "the task id at \(pointerName(taskID))")
            let status = try mappedStatus(in: document)
            var note: String? = nil
            var urls: [String] = []
            if let results {
                switch results.resolve(in: document) {
                case nil, .null?: break
                case .string(let url)?: urls = [url]
                case .array(let elements)?: urls = elements.compactMap(\.string)
                case let other?: note = "results at \(pointerName(results)) is \(other.kind), not strings; ignored"
                }
            }
            let message = error.flatMap { $0.resolve(in: document)?.string }.flatMap { $0.isEmpty ? nil : $0 }
            let event = TaskEvent(taskID: id, provider: provider, status: status, results: urls, error: message)
            return .events([event], note: note)
        } catch {
            return .unparsed(reason: error.reason)
        }
    }

    private func mappedStatus(in document: JSON) throws(PayloadProblem) -> TaskStatus {
        let place = pointerName(status)
        guard let value = status.resolve(in: document) else { throw PayloadProblem("no status at \(place)") }
        guard let text = value.string ?? value.numberText ?? value.boolText else {
            throw PayloadProblem("the status at \(place) is \(value.kind), not a string")
        }
        guard let mapped = statusMap[text] else {
            let known = statusMap.keys.sorted().joined(separator: ", ")
            throw PayloadProblem(
                "status \(text.quotedForReason) at \(place) is not in the status map (known: \(known))")
        }
        return mapped
    }

    private func pointerName(_ pointer: JSONPointer) -> String {
        pointer.description.isEmpty ? "the document root" : pointer.description
    }
}
