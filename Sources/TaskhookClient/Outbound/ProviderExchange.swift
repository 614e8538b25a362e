import Foundation
import TaskhookProviders

/// Sends a provider request built by `SeedEndpoint` and hands back what came back, every request
/// with a timeout; nothing answering is `SubmitError.unreachable`.
public enum ProviderExchange {
    public static func send(_ request: OutboundRequest, timeout: TimeInterval = 30) async throws(SubmitError)
        -> HTTPExchange.Answer
    {
        guard let url = URL(string: request.url) else { throw .usage("\(request.url) is not a URL") }
        do {
            return try await HTTPExchange.send(
                request.method, url, headers: request.headers.map { ($0.name, $0.value) },
                body: request.body.map { Data($0) }, timeout: timeout)
        } catch {
            throw .unreachable("\(error)")
        }
    }
}
