import Testing
import TaskhookHTTP

@testable import TaskhookDaemon

@Suite struct PublicRoutesTests {
    let routes = PublicRoutes(discardPaths: ["/bench"])
    let info = ConnectionInfo(listener: "http", peer: nil)

    func decision(_ method: String, _ target: String) -> HeadDecision {
        routes.decide(RequestHead(method: method, target: target), connection: info)
    }

    @Test func healthzAnswersGetAndHead() {
        #expect(decision("GET", "/healthz") == .readBody)
        #expect(decision("HEAD", "/healthz") == .readBody)
        #expect(decision("GET", "/healthz?verbose=1") == .readBody)
    }

    @Test func otherMethodsOnHealthzGet405WithAllow() {
        guard case .respond(let response) = decision("POST", "/healthz") else {
            Issue.record("POST /healthz must be answered early")
            return
        }
        #expect(response.status == .methodNotAllowed)
        #expect(response.headers["Allow"] == "GET, HEAD")
    }

    @Test func unknownPathsGet404NamingThePath() {
        guard case .respond(let response) = decision("GET", "/nowhere") else {
            Issue.record("unknown paths must be answered early")
            return
        }
        #expect(response.status == .notFound)
        #expect(String(decoding: response.body, as: UTF8.self).contains("/nowhere"))
    }

    @Test func discardPathsTakePostsOnly() {
        #expect(decision("POST", "/bench") == .readBody)
        guard case .respond(let response) = decision("GET", "/bench") else {
            Issue.record("GET on a discard path must be answered early")
            return
        }
        #expect(response.headers["Allow"] == "POST")
    }
}

@Suite struct LineLogHandlerTests {
    @Test func valuesWithSpacesQuotesOrEqualsAreQuoted() {
        #expect(LineLogHandler.quoted("plain") == "plain")
        #expect(LineLogHandler.quoted("two words") == "\"two words\"")
        #expect(LineLogHandler.quoted("a=b") == "\"a=b\"")
        #expect(LineLogHandler.quoted("say \"hi\"") == "\"say \\\"hi\\\"\"")
        #expect(LineLogHandler.quoted("") == "\"\"")
    }
}
