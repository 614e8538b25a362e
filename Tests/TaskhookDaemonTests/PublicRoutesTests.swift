import Glibc
import Logging
import TaskhookCore
import TaskhookHTTP
import TaskhookPosix
import TaskhookProviders
import TestSupport
import Testing

@testable import TaskhookDaemon

@Suite struct PublicRoutesTests {
    let routes: PublicRoutes
    let info = ConnectionInfo(listener: "http", peer: nil)

    init() throws {
        let secrets = SecretReader(environment: ["KLING_TOKEN": "0123456789abcdefXYZ"])
        let freepik = RouteConfiguration(
            path: "/hooks/freepik", profile: FreepikProfile(secret: .value("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")))
        let kling = RouteConfiguration(
            path: "/hooks/kling", profile: KlingProfile(), token: .environment("KLING_TOKEN"))
        routes = PublicRoutes(
            routes: [
                try RouteFactory.build(freepik, secrets: secrets), try RouteFactory.build(kling, secrets: secrets),
            ],
            discardPaths: ["/bench"], recorder: nil, logger: Logger(label: "test"))
    }

    func decision(_ method: String, _ target: String, _ fields: [(String, String)] = []) -> HeadDecision {
        routes.decide(RequestHead(method: method, target: target, fields: HTTPFields(fields)), connection: info)
    }

    func status(_ decision: HeadDecision) -> Int? {
        if case .respond(let response) = decision { return response.status.code }
        return nil
    }

    @Test func webhookRoutesTakeJSONPostsOnly() {
        #expect(decision("POST", "/hooks/freepik") == .readBody)
        #expect(decision("POST", "/hooks/freepik", [("Content-Type", "application/json; charset=utf-8")]) == .readBody)
        #expect(status(decision("GET", "/hooks/freepik")) == 405)
        #expect(status(decision("POST", "/hooks/freepik", [("Content-Type", "text/html")])) == 415)
        #expect(status(decision("POST", "/hooks/freepik/extra")) == 404)
    }

    @Test func aTokenRouteIsServedOnlyUnderItsToken() {
        #expect(decision("POST", "/hooks/kling/0123456789abcdefXYZ") == .readBody)
        #expect(status(decision("POST", "/hooks/kling")) == 404)
        #expect(status(decision("POST", "/hooks/kling/0123456789abcdefXYz")) == 404)
        #expect(status(decision("POST", "/hooks/kling/0123456789abcdefXY")) == 404)
        #expect(status(decision("POST", "/hooks/kling/0123456789abcdefXYZ0")) == 404)
    }

    @Test func aRouteKeepsItsProvidersHeadersInOrderAndNoOthers() throws {
        let route = try #require(routes.route(for: "/hooks/freepik"))
        let fields = HTTPFields([
            ("Host", "example.com"), ("Webhook-Signature", "v1,abc"), ("Content-Type", "application/json"),
            ("Cookie", "a=1"), ("webhook-id", "msg_1"), ("User-Agent", "freepik/1"), ("Webhook-Timestamp", "17"),
        ])
        #expect(
            route.keptHeaders(fields) == [
                .init(name: "webhook-signature", value: "v1,abc"),
                .init(name: "content-type", value: "application/json"),
                .init(name: "webhook-id", value: "msg_1"), .init(name: "user-agent", value: "freepik/1"),
                .init(name: "webhook-timestamp", value: "17"),
            ])
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

@Suite struct RecordedBodyTests {
    @Test func theAnswerBodyIsTheJSONOfTheOutcome() {
        func expected(_ sequence: Int64, _ ids: [String]) -> String {
            let tree: JSON = [
                "recorded": true, "sequence": .integer(sequence), "unparsed": .bool(ids.isEmpty),
                "tasks": .array(ids.map { .string($0) }),
            ]
            return tree.text
        }
        let events = ["a1", "quote\"and\\slash", "ünï\n"].map {
            TaskEvent(taskID: $0, provider: "freepik", status: .completed)
        }
        for count in 0...events.count {
            let body = PublicRoutes.recordedBody(sequence: 42, events: Array(events.prefix(count)))
            #expect(String(decoding: body, as: UTF8.self) == expected(42, events.prefix(count).map(\.taskID)))
        }
        #expect(
            String(decoding: PublicRoutes.recordedBody(sequence: .max, events: []), as: UTF8.self)
                == #"{"recorded":true,"sequence":18446744073709551615,"unparsed":true,"tasks":[]}"#)
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

    @Test func linesAreLevelMessageAndSortedKeys() throws {
        let (output, path) = try Self.fileOutput()
        let logger = Logger(label: "test") { LineLogHandler(label: $0, output: output) }
        logger.info("delivery recorded", metadata: ["task_id": "t 1", "provider": "freepik"])
        logger.debug("below the level")
        #expect(try Self.contents(path) == "INFO delivery recorded provider=freepik task_id=\"t 1\"\n")
    }

    @Test func heldLinesWaitForAFlushButWarningsDoNot() throws {
        let (output, path) = try Self.fileOutput()
        let logger = Logger(label: "test") { LineLogHandler(label: $0, output: output) }
        output.hold()
        defer { output.release() }
        logger.info("one")
        logger.notice("two")
        output.waitUntilWritten()
        #expect(try Self.contents(path) == "")
        output.flush()
        output.waitUntilWritten()
        #expect(try Self.contents(path) == "INFO one\nNOTICE two\n")
        logger.info("three")
        logger.warning("four")  // handed over at once, after what waited before it
        output.waitUntilWritten()
        #expect(try Self.contents(path) == "INFO one\nNOTICE two\nINFO three\nWARNING four\n")
        logger.info("five")
        output.release()
        logger.info("six")  // no longer held: written by the caller
        #expect(try Self.contents(path) == "INFO one\nNOTICE two\nINFO three\nWARNING four\nINFO five\nINFO six\n")
    }

    @Test func aHeldOutputWritesOnceItsBufferIsFull() throws {
        let (output, path) = try Self.fileOutput()
        let logger = Logger(label: "test") { LineLogHandler(label: $0, output: output) }
        output.hold()
        defer { output.release() }
        let message = String(repeating: "x", count: 1000)
        for _ in 0..<100 { logger.info("\(message)") }  // about 100 KiB; the limit is 64 KiB
        output.waitUntilWritten()
        let written = try Self.contents(path)
        // At least what reached the limit; the writer thread may take later lines with them.
        #expect(written.count >= 64 * 1024 && written.count <= 100 * 1006)
        #expect(written.hasSuffix("x\n"))
    }

    /// A held output whose reader stalls (a pipe nobody reads) never blocks the thread that logs
    /// and flushes: its writer thread waits instead, lines past the bound are dropped, and once
    /// the reader drains the pipe, lines say how many.
    @Test func aStalledOutputNeverBlocksTheLoggerAndCountsWhatItDropped() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        let output = LineLogOutput(descriptor: fds[1], pendingLimit: 16 * 1024)
        let logger = Logger(label: "test") { LineLogHandler(label: $0, output: output) }
        output.hold()
        let line = String(repeating: "y", count: 990)
        // A pipe holds 64 KiB: 1,000 lines of about 1 KiB are far more than it and the bound.
        let started = Instant.now()
        for _ in 0..<1000 {
            logger.info("\(line)")
            output.flush()
        }
        #expect(Instant.now() - started < .seconds(5))
        // The reader wakes up: everything the output kept comes through, then the end.
        let read = PipeReader(fds[0])
        try read.thread.start()
        output.release()  // waits for the writer, which waits for the reader
        close(fds[1])
        read.thread.join()
        close(fds[0])
        let lines = String(decoding: read.bytes, as: UTF8.self).split(separator: "\n")
        let written = lines.filter { $0.hasPrefix("INFO ") }.count
        let notices = lines.filter { $0.hasPrefix("WARNING log lines dropped: the output did not keep up count=") }
        let dropped = notices.compactMap { Int($0.split(separator: "=").last ?? "") }.reduce(0, +)
        #expect(written > 0 && written < 1000)
        #expect(!notices.isEmpty)
        #expect(written + dropped == 1000, "\(written) written, \(dropped) dropped")
    }

    /// Reads a descriptor to its end on a thread of its own.
    final class PipeReader: @unchecked Sendable {
        // @unchecked: `bytes` is written by the thread alone and read after it is joined.
        private(set) var bytes: [UInt8] = []
        private(set) var thread = OSThread {}

        init(_ descriptor: Int32) {
            thread = OSThread { [unowned self] in
                var chunk = [UInt8](repeating: 0, count: 65536)
                while true {
                    let n = chunk.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
                    guard n > 0 else { return }
                    self.bytes += chunk[..<n]
                }
            }
        }
    }

    /// An output on a new file in a temporary directory (the descriptor stays open: the test is short).
    static func fileOutput() throws -> (LineLogOutput, String) {
        let path = DaemonProcess.temporaryDirectory() + "/log"
        let file = try File.create(path)
        return (LineLogOutput(descriptor: file.descriptor.release()), path)
    }

    static func contents(_ path: String) throws -> String {
        let file = try File.openForReading(path)
        defer { file.close() }
        return String(decoding: try file.read(count: 1 << 20, at: 0), as: UTF8.self)
    }
}

@Suite struct ConstantTimeTests {
    @Test func onlyTheSameBytesCompareEqual() {
        let secret = Array("route-token-0123456789".utf8)
        #expect(ConstantTime.equal(Array("route-token-0123456789".utf8), secret))
        #expect(!ConstantTime.equal(Array("route-token-012345678".utf8), secret))  // a prefix
        #expect(!ConstantTime.equal(Array("route-token-01234567890".utf8), secret))  // longer
        #expect(!ConstantTime.equal(Array("Route-token-0123456789".utf8), secret))
        #expect(!ConstantTime.equal([UInt8](), secret))
        #expect(ConstantTime.equal("abc".utf8.dropFirst(0), Array("abc".utf8)))
    }
}
