import CLinux

#if canImport(Glibc)
    import Glibc
#endif

extension SocketAddress {
    /// A host name that does not lead to any address, with the resolver's reason.
    public struct ResolutionError: Error, CustomStringConvertible, Equatable {
        public let host: String
        public let reason: String
        public var description: String { "cannot resolve the host name \(host): \(reason)" }
    }

    /// The stream addresses `host` names, in the resolver's order of preference (getaddrinfo,
    /// which also honours /etc/hosts and takes numeric addresses as they are), each with `port`.
    public static func resolve(host: String, port: UInt16) throws(ResolutionError) -> [SocketAddress] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>?
        let code = getaddrinfo(host, String(port), &hints, &list)
        guard code == 0 else {
            throw ResolutionError(host: host, reason: String(cString: gai_strerror(code)))
        }
        defer { freeaddrinfo(list) }
        var addresses: [SocketAddress] = []
        var entry = list
        while let node = entry {
            entry = node.pointee.ai_next
            guard let sockaddr = node.pointee.ai_addr else { continue }
            var storage = sockaddr_storage()
            withUnsafeMutableBytes(of: &storage) { raw in
                raw.copyMemory(
                    from: UnsafeRawBufferPointer(
                        start: sockaddr, count: min(Int(node.pointee.ai_addrlen), raw.count)))
            }
            if let address = SocketAddress(storage: storage), !addresses.contains(address) {
                addresses.append(address)
            }
        }
        guard !addresses.isEmpty else { throw ResolutionError(host: host, reason: "no stream address") }
        return addresses
    }
}
