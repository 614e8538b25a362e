import TaskhookProviders

/// A configuration problem, naming the key's path and the line it is on. The same type the provider
/// profiles raise for their own keys.
public typealias ConfigError = SettingError
