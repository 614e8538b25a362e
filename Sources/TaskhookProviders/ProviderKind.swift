/// The providers a route can name in its `provider:` setting. The raw value is also the `provider` of
/// the task events their normalizers produce (a `standard-webhooks` route uses its own configured name).
public enum ProviderKind: String, Sendable, CaseIterable {
    case freepik
    case fal
    case kling
    case replicate
    case standardWebhooks = "standard-webhooks"
}
