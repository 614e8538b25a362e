import TaskhookCore
import TaskhookProviders

/// One request to the simulator, as its HTTP shell hands it over.
public struct SimulatorRequest: Sendable {
    public var method: String
    public var path: String
    public var query: String?
    /// Header names in lower case.
    public var headers: [String: String]
    public var body: [UInt8]

    public init(method: String, path: String, query: String? = nil, headers: [String: String] = [:], body: [UInt8] = [])
    {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
    }
}

/// The simulator's answer to one request.
public struct SimulatorAnswer: Sendable, Equatable {
    public var status: Int
    public var headers: [Delivery.Header]
    public var body: [UInt8]

    static func json(_ status: Int, _ body: JSON, headers: [Delivery.Header] = []) -> SimulatorAnswer {
        SimulatorAnswer(status: status, headers: headers, body: body.bytes)
    }

    static func message(_ status: Int, _ text: String) -> SimulatorAnswer {
        json(status, ["message": .string(text)])
    }
}

/// A callback the simulator is to send at `due` (seconds on its clock), signed when it is sent.
public struct ScheduledCallback: Sendable, Equatable {
    public var due: Double
    public var url: String
    public var provider: String
    public var taskID: String
    public var status: TaskStatus
    public var body: [UInt8]
}

/// One request the simulator answered: what tests read to see backoff and rate limits.
public struct RecordedRequest: Sendable, Equatable {
    public var time: Double
    public var method: String
    public var path: String
    public var status: Int

    public var json: JSON {
        ["time": .number(String(time)), "method": .string(method), "path": .string(path), "status": .integer(status)]
    }
}
