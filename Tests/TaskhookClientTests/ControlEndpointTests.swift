import Testing

@testable import TaskhookClient

@Suite struct ControlEndpointTests {
    @Test func aSocketEndpointSendsNoToken() {
        let endpoint = ControlEndpoint(socketPath: "/run/taskhook/control.sock")
        #expect(endpoint.description == "unix:/run/taskhook/control.sock")
        #expect(
            String(decoding: endpoint.requestHead("/v1/tasks/a"), as: UTF8.self)
                == "GET /v1/tasks/a HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
    }

    @Test func anAdminURLGivesHostPortPathAndToken() throws {
        let endpoint = try ControlEndpoint(url: "http://admin.example:8081/taskhook/", token: "s3cret")
        #expect(endpoint.transport == .tcp(host: "admin.example", port: 8081))
        #expect(endpoint.pathPrefix == "/taskhook")
        #expect(endpoint.description == "http://admin.example:8081/taskhook")
        #expect(
            String(decoding: endpoint.requestHead("/healthz"), as: UTF8.self)
                == "GET /taskhook/healthz HTTP/1.1\r\nHost: admin.example:8081\r\n"
                + "Authorization: Bearer s3cret\r\nConnection: close\r\n\r\n")
    }

    @Test func ipv6HostsAreBracketedWhereTheyAppear() throws {
        let endpoint = try ControlEndpoint(url: "http://[::1]:9000", token: "t")
        #expect(endpoint.transport == .tcp(host: "::1", port: 9000))
        #expect(endpoint.hostHeader == "[::1]:9000")
        #expect(endpoint.description == "http://[::1]:9000")
        #expect(try endpoint.address() == .ipv6(address: "::1", port: 9000))
    }

    @Test func thePortDefaultsTo80() throws {
        #expect(try ControlEndpoint(url: "http://127.0.0.1", token: "t").transport == .tcp(host: "127.0.0.1", port: 80))
    }

    @Test(arguments: [
        ("localhost:8081", "--url must look like http://HOST:PORT, not localhost:8081"),
        ("https://h:1", "--url must be http://…; the admin listener speaks plain HTTP (use a tunnel for TLS)"),
        ("http://h:1/?a=b", "--url takes no query, fragment or user: http://h:1/?a=b"),
        ("http://u@h:1", "--url takes no query, fragment or user: http://u@h:1"),
        ("http://h:0", "--url has an invalid port: http://h:0"),
    ])
    func unusableURLsAreRefusedWithAReason(text: String, reason: String) {
        #expect(throws: ControlEndpoint.InvalidURL(description: reason)) {
            try ControlEndpoint(url: text, token: "t")
        }
    }

    @Test func theDefaultSocketFollowsTheEnvironmentThenTheSystemPath() {
        let none: (String) -> Bool = { _ in false }
        #expect(
            ControlEndpoint.defaultSocketPath(environment: ["TASKHOOK_SOCKET": "/x.sock"], exists: none) == "/x.sock")
        #expect(
            ControlEndpoint.defaultSocketPath(environment: ["RUNTIME_DIRECTORY": "/run/a:/run/b"], exists: none)
                == "/run/a/control.sock")
        #expect(
            ControlEndpoint.defaultSocketPath(environment: [:], exists: { $0 == "/run/taskhook/control.sock" })
                == "/run/taskhook/control.sock")
        #expect(ControlEndpoint.defaultSocketPath(environment: [:], exists: none) == "./taskhook-state/control.sock")
    }

    @Test func aHostThatCannotBeResolvedIsUnreachable() throws {
        let endpoint = try ControlEndpoint(url: "http://no.such.host.invalid:8081", token: "t")
        #expect(throws: ControlError.unreachable("cannot resolve the host name no.such.host.invalid")) {
            try endpoint.address()
        }
    }
}

@Suite struct ControlRequestTests {
    @Test func aPostCarriesItsJSONBodyWithItsLength() {
        let endpoint = ControlEndpoint(socketPath: "/s")
        let body = Array(#"{"provider":"fal"}"#.utf8)
        #expect(
            String(decoding: endpoint.request("POST", ControlTarget.expect, body: body), as: UTF8.self)
                == "POST /v1/tasks HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                + "Content-Length: 18\r\nConnection: close\r\n\r\n{\"provider\":\"fal\"}")
    }

    @Test func theReconcilersTargetsAreEncoded() {
        #expect(ControlTarget.observations("fal:a b") == "/v1/tasks/fal%3Aa%20b/observations")
        #expect(ControlTarget.expected(limit: 500, after: nil) == "/v1/expected?limit=500")
        #expect(ControlTarget.expected(limit: 2, after: "fal:x/y") == "/v1/expected?limit=2&after=fal%3Ax%2Fy")
    }
}
