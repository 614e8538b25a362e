import Testing

@testable import TaskhookPosix

@Suite struct NameResolutionTests {
    @Test func numericAddressesResolveToThemselvesWithThePort() throws {
        #expect(try SocketAddress.resolve(host: "127.0.0.1", port: 8081) == [.ipv4(address: "127.0.0.1", port: 8081)])
        #expect(try SocketAddress.resolve(host: "::1", port: 443) == [.ipv6(address: "::1", port: 443)])
    }

    @Test func localhostResolvesToALoopbackAddress() throws {
        let addresses = try SocketAddress.resolve(host: "localhost", port: 80)
        #expect(!addresses.isEmpty)
        for address in addresses {
            #expect(
                address == .ipv4(address: "127.0.0.1", port: 80) || address == .ipv6(address: "::1", port: 80))
        }
    }

    @Test func aNameThatCannotExistFailsWithTheResolversReason() {
        // A name with a space is refused by the resolver itself: no network is asked.
        #expect {
            try SocketAddress.resolve(host: "no such host", port: 80)
        } throws: { error in
            let failure = error as? SocketAddress.ResolutionError
            return failure?.host == "no such host" && failure?.reason.isEmpty == false
        }
    }
}
