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
            return try await Deadline.exchange(request, seconds: timeout, url: url)
        } catch let error as Unreachable {
            throw error
        } catch {
            throw Unreachable(description: "\(url): \(error.localizedDescription)")
        }
    }
}

/// A hard limit on a whole exchange. URLRequest's `timeoutInterval` is an idle timeout, and on Linux
/// (libcurl) a server that accepted the connection and never answers was measured to hold a request
/// for 60 s with a 0.5 s interval: so the caller resumes at the deadline and the request is cancelled.
enum Deadline {
    /// The answer, or `Unreachable` at the deadline. Both the answer's completion handler and the
    /// timer run on Dispatch queues, not on the cooperative pool, so whichever is first in real time
    /// wins even while every pool thread is busy (as in a test suite blocking on processes).
    static func exchange(_ request: URLRequest, seconds: TimeInterval, url: URL) async throws -> HTTPExchange.Answer {
        try await withCheckedThrowingContinuation { continuation in
            let once = ResumeOnce(continuation)
            let task = URLSession.shared.dataTask(with: request) { data, response, error in
                if let data, let http = response as? HTTPURLResponse {
                    let retryAfter = http.value(forHTTPHeaderField: "Retry-After").flatMap { Double($0) }
                    once.resume(
                        .success(HTTPExchange.Answer(status: http.statusCode, body: data, retryAfter: retryAfter)))
                } else {
                    once.resume(.failure(error ?? HTTPExchange.Unreachable(description: "\(url): no answer")))
                }
            }
            DispatchQueue.global().asyncAfter(deadline: .now() + seconds) {
                let timedOut = HTTPExchange.Unreachable(description: "\(url): no answer within \(seconds) s")
                if once.resume(.failure(timedOut)) { task.cancel() }
            }
            task.resume()
        }
    }

    final class ResumeOnce<T: Sendable>: @unchecked Sendable {
        private let lock = NSLock()
        private var continuation: CheckedContinuation<T, any Error>?

        init(_ continuation: CheckedContinuation<T, any Error>) { self.continuation = continuation }

        /// Whether this call resumed it (the first one does).
        @discardableResult func resume(_ result: Result<T, any Error>) -> Bool {
            let taken: CheckedContinuation<T, any Error>? = lock.withLock {
                defer { continuation = nil }
                return continuation
            }
            taken?.resume(with: result)
            return taken != nil
        }
    }
}
