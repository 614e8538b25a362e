import Testing

@testable import TaskhookPosix

@Suite struct SocketAddressTests {
    @Test(arguments: [
        ("127.0.0.1:8080", SocketAddress.ipv4(address: "127.0.0.1", port: 8080)),
        ("0.0.0.0:0", .ipv4(address: "0.0.0.0", port: 0)),
        ("[::1]:443", .ipv6(address: "::1", port: 443)),
        ("unix:/run/taskhook/control.sock", .unix(path: "/run/taskhook/control.sock")),
        ("/tmp/x.sock", .unix(path: "/tmp/x.sock")),
    ])
    func validAddressesParse(text: String, expected: SocketAddress) throws {
        #expect(try SocketAddress(parsing: text) == expected)
    }

    @Test(arguments: [
        "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:-1", "localhost:80", "[::1]80", "[::1", "::1:80",
        "unix:", "300.0.0.1:80", "unix:/" + String(repeating: "a", count: 120),
    ])
    func invalidAddressesAreRejectedWithAReason(text: String) {
        #expect(throws: SocketAddress.ParseError.self) { try SocketAddress(parsing: text) }
    }

    @Test func addressesPrintAsTheyParse() throws {
        for text in ["127.0.0.1:8080", "[::1]:8080", "unix:/tmp/a.sock"] {
            #expect(try SocketAddress(parsing: text).description == text)
        }
    }
}
