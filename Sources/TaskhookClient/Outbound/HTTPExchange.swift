import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// One outbound HTTP(S) request from the command line (URLSession; the daemon has its own
/// server and makes no outbound connection at all).
public enum HTTPExchange {
    public struct Answer: Sendable {
        public var status: Int
        public var body: Data
        /// `Retry-After` in seconds (429, 503), when given as a number of seconds.
        public var retryAfter: Double?
    }

    public struct Unreachable: Error, CustomStringConvertible {
        public let description: String
    }

    public static func send(
        _ method: String, _ url: URL, headers: [(String, String)] = [], body: Data? = nil, timeout: TimeInterval = 30
    ) async throws -> Answer {
        var request = URLRequest(url: url, timeoutInterval: timeout)
        request.httpMethod = method
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        request.httpBody = body
        do {
            let (data, response) = try await URLSession.shared.data(for: request)
            guard let http = response as? HTTPURLResponse else {
                throw Unreachable(description: "\(url): not an HTTP answer")
            }
            let retryAfter = (http.value(forHTTPHeaderField: "Retry-After")).flatMap { Double($0) }
            return Answer(status: http.statusCode, body: data, retryAfter: retryAfter)
        } catch let error as Unreachable {
            throw error
        } catch {
            throw Unreachable(description: "\(url): \(error.localizedDescription)")
        }
    }
}
