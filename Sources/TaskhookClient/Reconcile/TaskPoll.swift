import Foundation
import TaskhookProviders

/// One status read of one task, as the reconciler makes it: the status GET, then for fal's queue
/// the result GET once it says COMPLETED. Every request has the policy's timeout.
public enum TaskPoll {
    public enum Reading: Sendable, Equatable {
        /// A callback-shaped body to hand the daemon as an observation.
        case observed([UInt8])
        /// Still running, in the provider's word.
        case running(String)
        case failed(SubmitError)

        /// What the schedule needs to know of it.
        public var scheduleOutcome: PollSchedule.Outcome {
            switch self {
            case .observed: .finished
            case .running: .running
            case .failed(let error) where !error.isTransient: .finished
            case .failed(.unavailable(_, let retryAfter)): .failed(retryAfter: retryAfter)
            case .failed: .failed(retryAfter: nil)
            }
        }
    }

    public static func read(
        _ endpoint: SeedEndpoint, _ task: SubmittedTask, credentials: ProviderCredentials, timeout: Double
    ) async -> Reading {
        do throws(SubmitError) {
            let now = Int64(Date().timeIntervalSince1970)
            let status = try await ProviderExchange.send(
                try endpoint.readRequest(task.statusURL, credentials: credentials, now: now), timeout: timeout)
            let outcome = try endpoint.readStatusAnswer(
                status: status.status, body: Array(status.body), task: task, retryAfter: status.retryAfter)
            switch outcome {
            case .observation(let body): return .observed(body)
            case .pending(let word): return .running(word)
            case .fetchResult(let url):
                let result = try await ProviderExchange.send(
                    try endpoint.readRequest(url, credentials: credentials, now: now), timeout: timeout)
                let read = try endpoint.readResultAnswer(
                    status: result.status, body: Array(result.body), task: task, retryAfter: result.retryAfter)
                guard case .observation(let body) = read else { return .failed(.unreadableAnswer("no result")) }
                return .observed(body)
            }
        } catch {
            return .failed(error)
        }
    }
}
