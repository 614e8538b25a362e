import ArgumentParser
import Crypto
import Foundation
import TaskhookClient
import TaskhookCore
import TaskhookHTTP
import TaskhookPosix
import TaskhookProviders
import TaskhookSimulator

/// `taskhook simulate`: the seed endpoints' APIs on this machine, sending signed callbacks, so the
/// whole flow can be tried (and tested) without a provider account or a network.
struct SimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Run a local provider simulator speaking every seed endpoint's API.",
        discussion: """
            Point taskhook submit at it with --base-url. It accepts the API keys found in \
            --key-dir, $CREDENTIALS_DIRECTORY or the environment (FREEPIK_API_KEY, …), "simulator" for any \
            not found. Freepik callbacks are signed with freepik-webhook-secret (default \
            "simulator-webhook-secret"), fal's with the private JWK fal-private-jwk (default: a new key); the \
            public half is served at /.well-known/jwks.json for taskhook jwks fetch. A completed task's \
            result URL is its video on the simulator itself, /videos/ID.mp4 (the same bytes for an id every \
            time; Range requests answered 206). The first line on \
            standard output is "listening on http://HOST:PORT"; --log gets every request and callback as \
            one JSON object a line, with its time.
            """)

    @Option(help: ArgumentHelp("Where to listen.", valueName: "host:port"))
    var listen = "127.0.0.1:8090"

    @Option(help: ArgumentHelp("A directory of key files named as the keys are.", valueName: "dir"))
    var keyDir: String?

    @Option(help: ArgumentHelp("Append every request and callback here, one JSON object a line.", valueName: "file"))
    var log: String?

    @Option(help: "Seconds from create to running.") var startAfter = 0.1
    @Option(help: "Seconds from create to the end.") var finishAfter = 0.5
    @Flag(help: "Send no callbacks (the tasks still end, for polling).") var dropCallbacks = false
    @Option(help: "Seconds added to every callback.") var callbackDelay = 0.0
    @Flag(help: "Send every callback twice.") var duplicateCallbacks = false
    @Flag(help: "Send the terminal callback before the in-progress one.") var reorderCallbacks = false
    @Flag(help: "End tasks failed.") var failTasks = false
    @Flag(help: "Never end tasks.") var neverFinish = false
    @Option(help: "Answer the first N API requests 429.") var busy = 0
    @Option(help: "The Retry-After of those answers, in seconds.") var retryAfter = 1
    @Option(help: "Answer the N requests after those 500.") var errors = 0
    @Flag(help: "Give the --busy and --errors answers to status and result reads only, not to creates.")
    var faultsOnReads = false
    @Option(help: "The size of each completed task's video, served at /videos/ID.mp4.") var videoBytes = 256 * 1024

    func run() throws {
        var knobs = SimulationKnobs()
        knobs.startAfter = startAfter
        knobs.finishAfter = finishAfter
        knobs.dropCallbacks = dropCallbacks
        knobs.callbackDelay = callbackDelay
        knobs.duplicateCallbacks = duplicateCallbacks
        knobs.reorderCallbacks = reorderCallbacks
        knobs.failTasks = failTasks
        knobs.neverFinish = neverFinish
        knobs.busyAnswers = busy
        knobs.retryAfter = retryAfter
        knobs.errorAnswers = errors
        knobs.faultsOnReadsOnly = faultsOnReads
        knobs.videoBytes = max(0, videoBytes)
        let source = APIKeySource(keyDirectory: keyDir, environment: ProcessInfo.processInfo.environment)
        var keys: [String: String] = [:]
        for kind in [CredentialKind.freepikAPIKey, .falKey, .bearerToken, .klingAccessKeyPair] {
            for name in kind.secretNames { keys[name] = source.find(name) ?? "simulator" }
        }
        let falKey: Curve25519.Signing.PrivateKey
        if let jwk = source.find("fal-private-jwk") {
            falKey = try JWKS.privateKey(Array(jwk.utf8))
        } else {
            falKey = Curve25519.Signing.PrivateKey()
        }
        let signing: [String: SigningKey] = [
            "freepik": .secret(source.find("freepik-webhook-secret") ?? "simulator-webhook-secret"),
            "fal": .ed25519(falKey),
        ]
        let writer = SimulatorLog(path: log)
        let loop = try EventLoop()
        let server = HTTPServer(loop: loop, configuration: HTTPServer.Configuration())
        let listener = try ListeningSocket(binding: try SocketAddress(parsing: listen))
        let base = "http://\(listener.address)"
        let handler = SimulatorServer(
            loop: loop, simulation: ProviderSimulation(knobs: knobs, keys: keys, baseURL: base), signingKeys: signing,
            log: writer.append)
        try server.addListener(listener, name: "simulator", handler: handler)
        print("listening on \(base)")
        fflush(nil)
        try loop.run()
    }
}

/// The simulator's log file: lines appended from the loop and from callback senders alike.
final class SimulatorLog: Sendable {
    let handle: FileHandle?
    let lock = NSLock()

    init(path: String?) {
        if let path {
            _ = FileManager.default.createFile(atPath: path, contents: nil)
            handle = FileHandle(forWritingAtPath: path)
        } else {
            handle = nil
        }
    }

    func append(_ entry: JSON) {
        guard let handle else { return }
        lock.withLock { handle.write(Data((entry.text + "\n").utf8)) }
    }
}
