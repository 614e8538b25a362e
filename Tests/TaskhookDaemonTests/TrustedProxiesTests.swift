import TaskhookHTTP
import TaskhookPosix
import Testing

@testable import TaskhookDaemon

@Suite struct TrustedProxiesTests {
    let proxies = try! TrustedProxies(parsing: ["127.0.0.1", "10.0.0.0/8", "fd00::/8", "unix"])
    let loopbackProxy = SocketAddress.ipv4(address: "127.0.0.1", port: 40000)

    func client(_ peer: SocketAddress?, _ fields: [(String, String)]) -> String {
        proxies.clientAddress(peer: peer, fields: HTTPFields(fields))
    }

    @Test func aTrustedProxysXForwardedForNamesTheClient() {
        #expect(client(loopbackProxy, [("X-Forwarded-For", "203.0.113.7")]) == "203.0.113.7")
    }

    @Test func anUntrustedPeersForwardingHeadersAreIgnored() {
        let peer = SocketAddress.ipv4(address: "198.51.100.9", port: 5000)
        #expect(client(peer, [("X-Forwarded-For", "203.0.113.7")]) == "198.51.100.9:5000")
        #expect(client(peer, [("Forwarded", "for=203.0.113.7")]) == "198.51.100.9:5000")
    }

    @Test func theChainIsWalkedFromTheRightPastTrustedHopsOnly() {
        // The client wrote 1.2.3.4 itself; 203.0.113.7 is what the first trusted hop saw.
        let fields = [("X-Forwarded-For", "1.2.3.4, 203.0.113.7, 10.1.2.3")]
        #expect(client(loopbackProxy, fields) == "203.0.113.7")
    }

    @Test func severalXForwardedForFieldsAreOneList() {
        let fields = [("X-Forwarded-For", "1.2.3.4"), ("X-Forwarded-For", "203.0.113.7")]
        #expect(client(loopbackProxy, fields) == "203.0.113.7")
    }

    @Test func forwardedIsPreferredAndItsQuotesBracketsAndPortsAreDropped() {
        let fields = [
            ("X-Forwarded-For", "192.0.2.1"),
            ("Forwarded", #"for="[2001:db8::1]:4711";proto=https, for=10.0.0.2"#),
        ]
        #expect(client(loopbackProxy, fields) == "2001:db8::1")
        #expect(client(loopbackProxy, [("Forwarded", "for=192.0.2.60:8443;by=10.0.0.1")]) == "192.0.2.60")
    }

    @Test func aProxyOnTheUnixSocketListenerIsTrustedWhenUnixIsListed() {
        let peer = SocketAddress.unix(path: "")
        #expect(client(peer, [("X-Forwarded-For", "203.0.113.7")]) == "203.0.113.7")
        let none = TrustedProxies.none.clientAddress(peer: peer, fields: HTTPFields([("X-Forwarded-For", "1.2.3.4")]))
        #expect(none == "unix:")
    }

    @Test func aTrustedPeerWithoutAReadableChainIsNamedItself() {
        #expect(client(loopbackProxy, []) == "127.0.0.1:40000")
        #expect(client(loopbackProxy, [("X-Forwarded-For", "not-an-address")]) == "127.0.0.1:40000")
        #expect(client(loopbackProxy, [("Forwarded", "for=unknown")]) == "127.0.0.1:40000")
    }

    @Test func anIPv4MappedPeerMatchesItsIPv4Block() {
        let peer = SocketAddress.ipv6(address: "::ffff:10.9.8.7", port: 1)
        #expect(client(peer, [("X-Forwarded-For", "203.0.113.7")]) == "203.0.113.7")
        let outside = SocketAddress.ipv6(address: "fe80::1", port: 1)
        #expect(client(outside, [("X-Forwarded-For", "203.0.113.7")]) == "[fe80::1]:1")
        let inside = SocketAddress.ipv6(address: "fd12:3456::1", port: 1)
        #expect(client(inside, [("X-Forwarded-For", "203.0.113.7")]) == "203.0.113.7")
    }

    @Test func addressesAreReadStrictly() {
        #expect(IPAddress(parsing: "192.168.1.1")?.bytes == [192, 168, 1, 1])
        #expect(IPAddress(parsing: "::1")?.bytes == Array(repeating: 0, count: 15) + [1])
        #expect(IPAddress(parsing: "2001:db8::")?.bytes.prefix(4) == [0x20, 0x01, 0x0d, 0xb8])
        #expect(IPAddress(parsing: "1:2:3:4:5:6:7:8")?.bytes.count == 16)
        for bad in [
            "", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1::2::3", "1:2:3:4:5:6:7:8:9", "12345::", "a.b.c.d",
        ] {
            #expect(IPAddress(parsing: bad) == nil, "\(bad)")
        }
    }

    @Test func badEntriesAreRefusedWithTheReason() {
        #expect(throws: TrustedProxies.ParseError.self) { try TrustedProxies(parsing: ["10.0.0.0/33"]) }
        #expect(throws: TrustedProxies.ParseError.self) { try TrustedProxies(parsing: ["localhost"]) }
        #expect(throws: TrustedProxies.ParseError.self) { try TrustedProxies(parsing: ["10.0.0.0/8/1"]) }
        #expect((try? TrustedProxies(parsing: ["::/0"])) != nil)
    }

    @Test func theConfigurationKeyIsReadAndABadEntryNamesItsLine() throws {
        let configuration = try DaemonConfiguration.parse(
            yaml: "trusted-proxies: [127.0.0.1, unix]\n", environment: [:])
        #expect(configuration.trustedProxies == (try TrustedProxies(parsing: ["127.0.0.1", "unix"])))
        do {
            _ = try DaemonConfiguration.parse(
                yaml: "listen: [\"127.0.0.1:1\"]\ntrusted-proxies: [nginx]\n", environment: [:])
            Issue.record("a host name was accepted as a trusted proxy")
        } catch {
            #expect(error.description.contains("trusted-proxies"))
            #expect(error.description.contains("line 2"))
        }
    }
}

@Suite struct ConnectionPeerTextTests {
    @Test func aConnectionsPeerIsWrittenOnceAsTheJournalAndLogsShowIt() {
        let peer = SocketAddress.ipv4(address: "198.51.100.9", port: 5000)
        let info = ConnectionInfo(listener: "http", peer: peer)
        #expect(info.peerText == "\(peer)")
        #expect(ConnectionInfo(listener: "http", peer: nil).peerText == "unknown")
        // With no trusted proxy, the client is the peer as written.
        #expect(
            TrustedProxies.none.clientAddress(peer: peer, peerText: info.peerText, fields: HTTPFields())
                == TrustedProxies.none.clientAddress(peer: peer, fields: HTTPFields()))
    }
}
