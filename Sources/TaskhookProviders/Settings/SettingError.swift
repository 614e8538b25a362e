/// A configuration problem, naming the key's path and the line it is on:
/// `routes[0].status-map.running (line 12): expected one of created, in_progress, …`.
public struct SettingError: Error, Equatable, Sendable, CustomStringConvertible {
    public let path: String
    public let line: Int?
    public let message: String

    public init(path: String, line: Int?, _ message: String) {
        self.path = path
        self.line = line
        self.message = message
    }

    public var description: String {
        let location = line.map { " (line \($0))" } ?? ""
        return path.isEmpty ? "\(message)\(location)" : "\(path)\(location): \(message)"
    }
}
