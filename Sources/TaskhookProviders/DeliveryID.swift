/// The provider's own id for one delivery, which stays the same when the provider retries it: the
/// dedupe key where there is one (see `TaskEvent.dedupeKey(deliveryID:)`).
public enum DeliveryID {
    /// `webhook-id` for the Standard Webhooks senders (Freepik, Replicate, `standard-webhooks` routes);
    /// nil for fal and Kling, which send no delivery id, so dedupe falls back to task and status.
    public static func of(_ callback: Callback, provider: ProviderKind) -> String? {
        switch provider {
        case .freepik, .replicate, .standardWebhooks:
            guard let id = callback.header("webhook-id"), !id.isEmpty else { return nil }
            return id
        case .fal, .kling:
            return nil
        }
    }
}
