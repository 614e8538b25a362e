import TaskhookCore
import Testing

@testable import TaskhookProviders

@Suite struct ProviderCallsTests {
    let now: Int64 = 1_700_000_000
    let hook = "https://hooks.example.com/hooks/freepik"

    func header(_ request: OutboundRequest, _ name: String) -> String? {
        request.headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    @Test func freepikCreateCarriesTheWebhookURLInTheBodyAndTheKeyInItsHeader() throws {
        let request = try SeedEndpoint.freepikKlingV2.createRequest(
            parameters: ["image": "https://example.com/cat.jpg", "duration": "5"], callbackURL: hook,
            baseURL: "http://127.0.0.1:9/", credentials: .apiKey("fp-key"), now: now)
        #expect(request.method == "POST")
        #expect(request.url == "http://127.0.0.1:9/v1/ai/image-to-video/kling-v2")
        #expect(header(request, "x-freepik-api-key") == "fp-key")
        let body = try JSON.parse(try #require(request.body))
        #expect(body["webhook_url"]?.string == hook)
        #expect(body["image"]?.string == "https://example.com/cat.jpg")
    }

    @Test func aWebhookURLInTheParametersIsRefusedBecauseTaskhookSetsIt() {
        #expect(throws: SubmitError.self) {
            try SeedEndpoint.freepikKlingV25Pro.createRequest(
                parameters: ["duration": "5", "webhook_url": "https://elsewhere"], callbackURL: hook,
                baseURL: "http://h", credentials: .apiKey("k"), now: now)
        }
    }

    @Test func falTakesTheWebhookAsTheFalWebhookQueryParameter() throws {
        let request = try SeedEndpoint.falKlingV25TurboPro.createRequest(
            parameters: SeedSchemaTests.valid(.falKlingV25TurboPro), callbackURL: "https://h.example/hooks/fal?a=1",
            baseURL: "https://queue.fal.run", credentials: .apiKey("fal-key"), now: now)
        #expect(
            request.url
                == "https://queue.fal.run/fal-ai/kling-video/v2.5-turbo/pro/image-to-video?fal_webhook=https%3A%2F%2Fh.example%2Fhooks%2Ffal%3Fa%3D1"
        )
        #expect(header(request, "authorization") == "Key fal-key")
        #expect(try JSON.parse(try #require(request.body))["fal_webhook"] == nil)
    }

    @Test func theAggregatorGetsNoCallbackAndABearerKey() throws {
        let request = try SeedEndpoint.aggregatorKlingV25TurboPro.createRequest(
            parameters: SeedSchemaTests.valid(.aggregatorKlingV25TurboPro), callbackURL: hook,
            baseURL: "https://api.chainhub.tech", credentials: .apiKey("agg"), now: now)
        #expect(request.url == "https://api.chainhub.tech/fal-ai/kling-video/v2.5-turbo/pro/image-to-video")
        #expect(header(request, "authorization") == "Bearer agg")
        #expect(!String(decoding: try #require(request.body), as: UTF8.self).contains("hooks.example.com"))
    }

    @Test func theAggregatorsQueueURLsAreReadThroughItsOwnHost() throws {
        let answer = #"""
            {"status":"IN_QUEUE","request_id":"727028ec","response_url":"https://queue.fal.run/fal-ai/kling-video/requests/727028ec",
             "status_url":"https://queue.fal.run/fal-ai/kling-video/requests/727028ec/status",
             "cancel_url":"https://queue.fal.run/fal-ai/kling-video/requests/727028ec/cancel","logs":null,"metrics":{},"queue_position":0}
            """#
        let task = try SeedEndpoint.aggregatorKlingV25TurboPro.readCreateAnswer(
            status: 200, body: Array(answer.utf8), baseURL: "https://api.chainhub.tech/")
        #expect(
            task
                == SubmittedTask(
                    taskID: "727028ec",
                    statusURL: "https://api.chainhub.tech/fal-ai/kling-video/requests/727028ec/status",
                    resultURL: "https://api.chainhub.tech/fal-ai/kling-video/requests/727028ec"))
    }

    @Test(arguments: [
        (SeedEndpoint.freepikKlingV25Pro, "/v1/ai/image-to-video/kling-v2-5-pro/T1"),
        (.freepikKlingV2, "/v1/ai/image-to-video/kling-v2/T1"),
        (.freepikKlingElementsPro, "/v1/ai/image-to-video/kling-elements/T1"),
        (.freepikKlingV21Std, "/v1/ai/image-to-video/kling-v2-1/T1"),
        (.klingImageToVideo, "/v1/videos/image2video/T1"),
    ])
    func aTaskIsPolledAtItsModelsGetPathWhichMayDifferFromThePostPath(_ endpoint: SeedEndpoint, _ path: String)
        throws
    {
        let task = try endpoint.readCreateAnswer(
            status: 200, body: Array(#"{"data":{"task_id":"T1","status":"CREATED"}}"#.utf8), baseURL: "http://p")
        #expect(task.statusURL == "http://p" + path)
    }

    @Test func klingCallsCarryAJWTIssuedByTheAccessKeyAndSignedWithTheSecretKey() throws {
        let request = try SeedEndpoint.klingImageToVideo.createRequest(
            parameters: ["image": "https://example.com/i.jpg"], callbackURL: "https://h/hooks/kling/tok",
            baseURL: "https://api.klingai.com", credentials: .accessKeyPair(accessKey: "AK", secretKey: "SK"), now: now)
        let bearer = try #require(header(request, "authorization"))
        let token = String(bearer.dropFirst("Bearer ".count))
        #expect(KlingToken.isValid(token, accessKey: "AK", secretKey: "SK", now: now))
        #expect(!KlingToken.isValid(token, accessKey: "AK", secretKey: "other", now: now))
        #expect(!KlingToken.isValid(token, accessKey: "AK", secretKey: "SK", now: now + KlingToken.lifetimeSeconds))
        #expect(try JSON.parse(try #require(request.body))["callback_url"]?.string == "https://h/hooks/kling/tok")
    }

    @Test func klingRefusesASingleKey() {
        #expect(throws: SubmitError.self) {
            try SeedEndpoint.klingImageToVideo.readRequest("https://x", credentials: .apiKey("k"), now: now)
        }
    }

    @Test func busyAndFailingAnswersAreTransientAndRefusalsAreNot() {
        #expect(throws: SubmitError.unavailable(status: 429, retryAfter: 3)) {
            try SeedEndpoint.freepikKlingV2.readStatusAnswer(
                status: 429, body: [], task: SubmittedTask(taskID: "t", statusURL: "u"), retryAfter: 3)
        }
        #expect(throws: SubmitError.refused(status: 401, message: "Invalid API key")) {
            try SeedEndpoint.freepikKlingV2.readCreateAnswer(
                status: 401, body: Array(#"{"message":"Invalid API key"}"#.utf8), baseURL: "u")
        }
        #expect(SubmitError.unavailable(status: 500, retryAfter: nil).isTransient)
        #expect(!SubmitError.refused(status: 400, message: "").isTransient)
    }

    @Test func aFreepikStatusAnswerIsAnObservationTheFreepikNormalizerReads() throws {
        let body = Array(
            #"{"data":{"task_id":"T1","status":"COMPLETED","generated":["https://cdn.example/v.mp4"]}}"#.utf8)
        let outcome = try SeedEndpoint.freepikKlingV21Std.readStatusAnswer(
            status: 200, body: body, task: SubmittedTask(taskID: "T1", statusURL: "u"))
        guard case .observation(let observed) = outcome else {
            Issue.record("\(outcome)")
            return
        }
        #expect(
            FreepikProfile().normalize(Fixtures.body(String(decoding: observed, as: UTF8.self)))
                == .events(
                    [
                        TaskEvent(
                            taskID: "T1", provider: "freepik", status: .completed,
                            results: ["https://cdn.example/v.mp4"])
                    ],
                    note: nil))
    }

    @Test func aCompletedFalAnswerWithNowhereToFetchTheResultIsUnreadableNotRetried() throws {
        let task = SubmittedTask(taskID: "R2", statusURL: "http://q/status", resultURL: nil)
        let completed = Array(#"{"status":"COMPLETED"}"#.utf8)
        do {
            _ = try SeedEndpoint.falKlingV25TurboPro.readStatusAnswer(status: 200, body: completed, task: task)
            Issue.record("a COMPLETED answer without a response_url was accepted")
        } catch {
            #expect(!error.isTransient)
            #expect("\(error)".contains("response_url"), "\(error)")
        }
        #expect(
            try SeedEndpoint.falKlingV25TurboPro.readStatusAnswer(
                status: 200, body: Array(#"{"status":"COMPLETED","response_url":"http://q/r2"}"#.utf8), task: task)
                == .fetchResult("http://q/r2"))
    }

    @Test func falIsPendingUntilCompletedThenItsResultBecomesAnOKCallbackBody() throws {
        let task = SubmittedTask(taskID: "R1", statusURL: "http://q/status", resultURL: "http://q/result")
        let endpoint = SeedEndpoint.falKlingV25TurboPro
        #expect(
            try endpoint.readStatusAnswer(status: 200, body: Array(#"{"status":"IN_QUEUE"}"#.utf8), task: task)
                == .pending("IN_QUEUE"))
        #expect(
            try endpoint.readStatusAnswer(status: 200, body: Array(#"{"status":"COMPLETED"}"#.utf8), task: task)
                == .fetchResult("http://q/result"))
        let done = try endpoint.readResultAnswer(
            status: 200, body: Array(#"{"video":{"url":"https://v3.fal.media/o.mp4"}}"#.utf8), task: task)
        guard case .observation(let body) = done else {
            Issue.record("\(done)")
            return
        }
        #expect(
            FalProfile().normalize(Fixtures.body(String(decoding: body, as: UTF8.self)))
                == .events(
                    [
                        TaskEvent(
                            taskID: "R1", provider: "fal", status: .completed, results: ["https://v3.fal.media/o.mp4"])
                    ],
                    note: nil))
    }

    @Test func aFailedFalResultBecomesAnErrorCallbackBody() throws {
        let task = SubmittedTask(taskID: "R1", statusURL: "s", resultURL: "r")
        let outcome = try SeedEndpoint.aggregatorKlingV25TurboPro.readResultAnswer(
            status: 422, body: Array(#"{"detail":[{"loc":["body","prompt"],"msg":"field required"}]}"#.utf8),
            task: task)
        guard case .observation(let body) = outcome else {
            Issue.record("\(outcome)")
            return
        }
        #expect(
            FalProfile().normalize(Fixtures.body(String(decoding: body, as: UTF8.self)))
                == .events(
                    [
                        TaskEvent(
                            taskID: "R1", provider: "fal", status: .failed,
                            error: "Invalid status code: 422 (body.prompt: field required)")
                    ], note: nil))
    }

    @Test func pollURLsAreBuiltFromTheTaskIdAtEachModelsGetPathOrFalsQueue() {
        #expect(
            SeedEndpoint.freepikKlingElementsPro.pollURLs(taskID: "t1", baseURL: "http://sim/")
                == SubmittedTask(taskID: "t1", statusURL: "http://sim/v1/ai/image-to-video/kling-elements/t1"))
        #expect(
            SeedEndpoint.aggregatorKlingV25TurboPro.pollURLs(taskID: "r 1", baseURL: "https://agg.example")
                == SubmittedTask(
                    taskID: "r 1", statusURL: "https://agg.example/fal-ai/kling-video/requests/r%201/status",
                    resultURL: "https://agg.example/fal-ai/kling-video/requests/r%201"))
    }

    @Test func eachEndpointsVendorIsTheAccountItsCallsCountAgainst() {
        #expect(
            SeedEndpoint.allCases.map(\.vendor) == [
                "freepik", "freepik", "freepik", "freepik", "fal", "aggregator", "kling",
            ])
    }

    @Test(arguments: [
        ("https://hooks.example.com/hooks/freepik", true), ("http://127.0.0.1:8080/hooks/kling/t0k", true),
        ("https://h.example/p?q=a%20b#f", true), ("urn:isbn:0451450523", true),
        ("hooks.example.com/hooks/freepik", false), ("https://h.example/a b", false), ("https://h/%zz", false),
        ("://h", false), ("https:", false), ("1http://h", false), ("https://h/\u{e9}", false),
    ])
    func aWebhookURLMustBeAnAbsoluteURI(_ text: String, _ valid: Bool) {
        #expect(ValueShape.isAbsoluteURI(text) == valid)
    }
}
