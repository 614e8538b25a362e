import Crypto
import Foundation
import Logging
import TaskhookCore
import TaskhookHTTP
import TaskhookJournal
import TaskhookPosix
import TaskhookState
import TestSupport
import Testing

@testable import TaskhookDaemon

/// The public listener's whole pipeline in one process, with no socket: raw request bytes
/// through the real parser to the routes, a real journal in a temporary directory, the task
/// store, and the answer a provider would read.
final class IngestPipeline {
    static let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    static let yaml = """
        routes:
          - path: /hooks/freepik
            provider: freepik
            secret: {value: "\(secret)"}
          - path: /hooks/open
            provider: freepik
            allow-unsigned: true
          - path: /hooks/small
            provider: freepik
            secret: {value: "\(secret)"}
            max-body: 100
        limits: {max-body: 4KiB}
        """

    let directory: String
    let writer: GroupCommitWriter
    let store: TaskStore
    let recorder: DeliveryRecorder
    let routes: PublicRoutes
    let limits: HTTPLimits

    init() throws {
        directory = DaemonProcess.temporaryDirectory()
        let journal = JournalDirectory(path: directory)
        writer = try GroupCommitWriter(directory: journal, recovery: try journal.recover(), options: JournalOptions())
        let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
        let configuration = try DaemonConfiguration.parse(yaml: Self.yaml, environment: [:])
        limits = configuration.server.limits
        store = TaskStore(maxWaiters: 10)
        recorder = DeliveryRecorder(
            writer: writer, store: store, checkpointEvery: 1000, taskRetentionSeconds: 86_400, logger: logger)
        routes = PublicRoutes(
            routes: try RouteLoader(environment: [:], logger: logger).routes(configuration), discardPaths: [],
            recorder: recorder, logger: logger)
    }

    deinit { writer.close() }

    /// A connection whose answers are complete once `settle` returns.
    func connection() -> InProcessConnection { InProcessConnection(handler: routes, limits: limits) }

    /// Lets the writer make what was recorded durable and the answers go out (or 5 s pass).
    func settle(_ connection: InProcessConnection) {
        recorder.submit()
        let deadline = Instant.now() + .seconds(5)
        while connection.responders.contains(where: { !$0.isAnswered }), Instant.now() < deadline {
            usleep(500)
            recorder.takeCompletions()
            recorder.submit()
        }
    }

    /// A Freepik callback, signed with `secret` unless it is nil.
    static func callback(
        path: String = "/hooks/freepik", body: String, id: String = "msg_\(UUID().uuidString)",
        secret: String? = IngestPipeline.secret, timestamp: Int64 = Int64(Date().timeIntervalSince1970),
        contentType: String = "application/json"
    ) -> String {
        var headers = "POST \(path) HTTP/1.1\r\nHost: x\r\nContent-Type: \(contentType)\r\n"
        headers += "Content-Length: \(body.utf8.count)\r\n"
        if let secret {
            let key = SymmetricKey(data: Data(base64Encoded: String(secret.dropFirst("whsec_".count)))!)
            let mac = HMAC<SHA256>.authenticationCode(for: Data("\(id).\(timestamp).\(body)".utf8), using: key)
            headers += "webhook-id: \(id)\r\nwebhook-timestamp: \(timestamp)\r\n"
            headers += "webhook-signature: v1,\(Data(mac).base64EncodedString())\r\n"
        }
        return headers + "\r\n" + body
    }

    static func completed(_ task: String) -> String {
        #"{"task_id":"\#(task)","status":"COMPLETED","generated":["https://cdn.example/\#(task).mp4"]}"#
    }
}

@Suite struct IngestPipelineTests {
    @Test func aSignedCallbackIsAnswered200OnlyOnceDurableAndReachesTheStore() throws {
        let pipeline = try IngestPipeline()
        let connection = pipeline.connection()
        connection.send(IngestPipeline.callback(body: IngestPipeline.completed("t1")))
        // Handed to the journal, not yet durable: no answer yet.
        #expect(connection.statuses.isEmpty)
        pipeline.settle(connection)
        #expect(connection.statuses == [200])
        #expect(connection.receivedText.contains(#""recorded":true"#))
        #expect(pipeline.store["t1"]?.status == .completed)
        #expect(pipeline.store["t1"]?.results == ["https://cdn.example/t1.mp4"])
    }

    @Test func theSameDeliveryAgainIsADuplicateAnsweredAtOnce() throws {
        let pipeline = try IngestPipeline()
        let connection = pipeline.connection()
        let request = IngestPipeline.callback(body: IngestPipeline.completed("t2"), id: "msg_same")
        connection.send(request)
        pipeline.settle(connection)
        connection.send(request)
        #expect(connection.statuses == [200, 200])
        #expect(connection.receivedText.contains(#""duplicate":true"#))
        #expect(pipeline.store["t2"]?.reports.count == 1)
    }

    @Test func anAuthenticBodyThatIsNotUnderstoodIsJournaledAndAnswered202() throws {
        let pipeline = try IngestPipeline()
        let connection = pipeline.connection()
        connection.send(IngestPipeline.callback(body: #"{"something":"else"}"#))
        pipeline.settle(connection)
        #expect(connection.statuses == [202])
        #expect(connection.receivedText.contains(#""unparsed":true"#))
        #expect(pipeline.store.table.count == 0)
        #expect(pipeline.store.table.lastSequence == 1)
    }

    @Test func aForgedSignatureIs401AndNothingIsJournaled() throws {
        let pipeline = try IngestPipeline()
        let connection = pipeline.connection()
        connection.send(
            IngestPipeline.callback(
                body: IngestPipeline.completed("t3"), secret: "whsec_" + Data("another key".utf8).base64EncodedString())
        )
        pipeline.settle(connection)
        #expect(connection.statuses == [401])
        #expect(pipeline.store.table.lastSequence == 0)
    }

    @Test func aStaleTimestampIs401WithItsAge() throws {
        let pipeline = try IngestPipeline()
        let connection = pipeline.connection()
        let old = Int64(Date().timeIntervalSince1970) - 3600
        connection.send(IngestPipeline.callback(body: IngestPipeline.completed("t4"), timestamp: old))
        #expect(connection.statuses == [401])
        #expect(connection.receivedText.contains("tolerance"))
    }

    @Test func unknownPathsWrongMethodsAndTypesAreRefusedFromTheHead() throws {
        let pipeline = try IngestPipeline()
        let connection = pipeline.connection()
        connection.send("POST /hooks/nowhere HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
        connection.send("GET /hooks/freepik HTTP/1.1\r\nHost: x\r\n\r\n")
        connection.send(IngestPipeline.callback(body: "<p/>", contentType: "text/html"))
        #expect(connection.statuses == [404, 405, 415])
        #expect(connection.receivedText.contains("Allow: POST"))
        #expect(pipeline.store.table.lastSequence == 0)
    }

    @Test func aBodyOverTheLimitIs413AndAMalformedRequestIs400() throws {
        let pipeline = try IngestPipeline()
        let big = pipeline.connection()
        big.send(IngestPipeline.callback(body: String(repeating: "x", count: 5000)))
        #expect(big.statuses == [413])
        let malformed = pipeline.connection()
        malformed.send(
            "POST /hooks/freepik HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n")
        #expect(malformed.statuses == [400])
        #expect(pipeline.store.table.lastSequence == 0)
    }

    @Test func aRoutesOwnMaxBodyIsEnforcedBeforeTheBodyIsRead() throws {
        let pipeline = try IngestPipeline()
        let connection = pipeline.connection()
        connection.send(
            IngestPipeline.callback(
                path: "/hooks/small", body: IngestPipeline.completed(String(repeating: "t", count: 80))))
        connection.send(IngestPipeline.callback(path: "/hooks/small", body: IngestPipeline.completed("t9")))
        pipeline.settle(connection)
        #expect(connection.statuses == [413, 200])
        #expect(connection.receivedText.contains("exceeds this route's max-body of 100 bytes"))
    }

    @Test func jsonWithParametersIsAcceptedAndOtherTypesGet415WithTheType() throws {
        let pipeline = try IngestPipeline()
        let connection = pipeline.connection()
        connection.send(
            IngestPipeline.callback(
                body: IngestPipeline.completed("ct1"), contentType: "application/json; charset=utf-8"))
        connection.send(
            IngestPipeline.callback(
                body: IngestPipeline.completed("ct2"), contentType: "Application/JSON;charset=UTF-8"))
        connection.send(IngestPipeline.callback(body: IngestPipeline.completed("ct3"), contentType: "text/plain"))
        pipeline.settle(connection)
        #expect(connection.statuses == [200, 200, 415])
        #expect(connection.receivedText.contains("callbacks must be application/json, not text/plain"))
    }

    @Test func aRouteRemovedWhileItsBodyIsReadIs503WithRetryAfter() throws {
        let pipeline = try IngestPipeline()
        let connection = pipeline.connection()
        let request = IngestPipeline.callback(body: IngestPipeline.completed("t5"))
        let split = request.utf8.count - 10
        connection.send(Array(request.utf8.prefix(split)))
        pipeline.routes.replaceRoutes([])  // a reload that drops the route, mid-body
        connection.send(Array(request.utf8.dropFirst(split)))
        pipeline.settle(connection)
        #expect(connection.statuses == [503])
        #expect(connection.receivedText.contains("Retry-After: 5"))
        #expect(pipeline.store.table.lastSequence == 0)
    }

    @Test func anUnsignedRouteTakesCallbacksWithoutSignatures() throws {
        let pipeline = try IngestPipeline()
        let connection = pipeline.connection()
        connection.send(IngestPipeline.callback(path: "/hooks/open", body: IngestPipeline.completed("t6"), secret: nil))
        pipeline.settle(connection)
        #expect(connection.statuses == [200])
        #expect(pipeline.store["t6"]?.isTerminal == true)
    }
}
