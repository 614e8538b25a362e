import TaskhookProviders

extension APIKeySource {
    /// What authenticates `endpoint`'s calls, read under the names its credential kind gives
    /// (`freepik-api-key`; `kling-access-key` and `kling-secret-key` for a pair).
    public func credentials(for endpoint: SeedEndpoint) throws(Missing) -> ProviderCredentials {
        let names = endpoint.credential.secretNames
        if names.count == 2 { return .accessKeyPair(accessKey: try read(names[0]), secretKey: try read(names[1])) }
        return .apiKey(try read(names[0]))
    }
}
