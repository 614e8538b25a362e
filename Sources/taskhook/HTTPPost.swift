import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// One HTTP(S) request from the command line (URLSession; the daemon has its own server and
/// no client at all).
enum HTTPExchange {
    struct Answer {
        var status: Int
        var body: Data
    }

    struct Unreachable: Error, CustomStringConvertible {
        let description: String
    }

    static func send(
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
            return Answer(status: http.statusCode, body: data)
        } catch let error as Unreachable {
            throw error
        } catch {
            throw Unreachable(description: "\(url): \(error.localizedDescription)")
        }
    }
}
