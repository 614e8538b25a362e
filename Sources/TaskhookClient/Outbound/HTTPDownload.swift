import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

extension HTTPExchange {
    /// The status line and headers of a download's answer (header names in lower case).
    public struct DownloadHead: Sendable, Equatable {
        public var status: Int
        public var headers: [String: String]

        public init(status: Int, headers: [String: String]) {
            self.status = status
            self.headers = headers
        }
    }

    /// What the caller does with a download's body once it has seen the head.
    public enum BodyDecision: Sendable {
        case take
        /// Stop here: the answer is not one to write down (an error status, say).
        case refuse
    }

    /// A GET whose body is handed to `body` piece by piece as it arrives, so a video never has to
    /// fit in memory: the same URLSession as `send`, with a delegate. `head` sees the answer's
    /// head first and decides whether the body is wanted; `body` may throw (a full disk), which
    /// cancels the transfer. Blocks the calling thread (a thread of the caller's own, not the
    /// cooperative pool) until the body has ended, the transfer failed, or `timeout` (the whole
    /// exchange) passed; `idleTimeout` bounds a silence. Returns the head.
    public static func download(
        _ url: URL, headers: [(String, String)] = [], timeout: Duration, idleTimeout: TimeInterval = 60,
        head: @escaping @Sendable (DownloadHead) -> BodyDecision,
        body: @escaping @Sendable ([UInt8]) throws -> Void
    ) throws -> DownloadHead {
        var request = URLRequest(url: url, timeoutInterval: idleTimeout)
        request.httpMethod = "GET"
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let transfer = Transfer(url: url, head: head, body: body)
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = 1
        let session = URLSession(configuration: .ephemeral, delegate: transfer, delegateQueue: queue)
        defer { session.invalidateAndCancel() }
        let task = session.dataTask(with: request)
        task.resume()
        let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
        if transfer.done.wait(timeout: .now() + seconds) == .timedOut {
            transfer.fail(Unreachable(description: "\(url): not finished within \(timeout)"))
            task.cancel()
            _ = transfer.done.wait(timeout: .now() + 10)
        }
        return try transfer.result()
    }

    /// The delegate of one download: it sees the head, passes the body on, and records how it ended.
    final class Transfer: NSObject, URLSessionDataDelegate, @unchecked Sendable {
        // @unchecked: the delegate queue is serial, and `outcome` is read after `done` is signalled.
        let url: URL
        let decideHead: @Sendable (DownloadHead) -> BodyDecision
        let takeBody: @Sendable ([UInt8]) throws -> Void
        let done = DispatchSemaphore(value: 0)
        private let lock = NSLock()
        private var head: DownloadHead?
        private var failure: (any Error)?
        private var finished = false

        init(
            url: URL, head: @escaping @Sendable (DownloadHead) -> BodyDecision,
            body: @escaping @Sendable ([UInt8]) throws -> Void
        ) {
            self.url = url
            decideHead = head
            takeBody = body
        }

        func fail(_ error: any Error) {
            lock.withLock { if failure == nil { failure = error } }
        }

        func result() throws -> DownloadHead {
            try lock.withLock {
                if let failure { throw failure }
                guard let head else { throw Unreachable(description: "\(url): no answer") }
                return head
            }
        }

        func urlSession(
            _ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
            completionHandler: @escaping (URLSession.ResponseDisposition) -> Void
        ) {
            guard let http = response as? HTTPURLResponse else {
                fail(Unreachable(description: "\(url): not an HTTP answer"))
                completionHandler(.cancel)
                return
            }
            var fields: [String: String] = [:]
            for (name, value) in http.allHeaderFields {
                if let name = name as? String, let value = value as? String { fields[name.lowercased()] = value }
            }
            let received = DownloadHead(status: http.statusCode, headers: fields)
            lock.withLock { head = received }
            completionHandler(decideHead(received) == .take ? .allow : .cancel)
        }

        func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
            guard lock.withLock({ failure == nil }) else { return }
            do {
                try takeBody([UInt8](data))
            } catch {
                fail(error)
                dataTask.cancel()
            }
        }

        func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
            if let error, (error as? URLError)?.code != .cancelled {
                fail(Unreachable(description: "\(url): \(error.localizedDescription)"))
            }
            let first = lock.withLock {
                defer { finished = true }
                return !finished
            }
            if first { done.signal() }
        }
    }
}
