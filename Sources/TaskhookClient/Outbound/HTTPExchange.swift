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
            let prepared = request
            let (data, response) = try await Deadline.run(seconds: timeout, url: url) {
                try await URLSession.shared.data(for: prepared)
            }
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

/// A hard limit on a whole exchange. URLRequest's `timeoutInterval` is an idle timeout, and on Linux
/// (libcurl) a server that accepted the connection and never answers was measured to hold a request
/// for 60 s with a 0.5 s interval: so the caller resumes at the deadline and the request is cancelled.
enum Deadline {
    static func run<T: Sendable>(
        seconds: TimeInterval, url: URL, _ work: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let once = ResumeOnce(continuation)
            let worker = Task {
                do { once.resume(.success(try await work())) } catch { once.resume(.failure(error)) }
            }
            // A Dispatch timer, not a Task: it fires even while every thread of the cooperative pool is busy.
            DispatchQueue.global().asyncAfter(deadline: .now() + seconds) {
                let timedOut = HTTPExchange.Unreachable(description: "\(url): no answer within \(seconds) s")
                if once.resume(.failure(timedOut)) { worker.cancel() }
            }
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
