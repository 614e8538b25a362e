import ArgumentParser
import Foundation
import TaskhookClient
import TaskhookPosix
import TaskhookProviders

struct JWKSCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jwks", abstract: "Keep fal's signing keys (a JWKS file) fresh.", subcommands: [JWKSFetch.self])
}

struct JWKSFetch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fetch",
        abstract: "Download a JWKS and replace FILE atomically, if it holds usable Ed25519 keys.",
        discussion: """
            The daemon notices the new file within a second and verifies with the new keys; it \
            never needs the network itself. A download that is not a usable key set leaves FILE as it was.
            """)

    @Option(
        help: ArgumentHelp(
            "Where to fetch from (fal: https://rest.alpha.fal.ai/.well-known/jwks.json).", valueName: "url"))
    var url: String

    @Option(help: ArgumentHelp("The JWKS file the fal route reads.", valueName: "file"))
    var out: String

    func run() async throws {
        guard let location = URL(string: url), ["https", "http"].contains(location.scheme ?? "") else {
            printError("taskhook jwks fetch: --url must be an http(s) URL")
            throw ExitStatus.usage
        }
        let answer: HTTPExchange.Answer
        do {
            answer = try await HTTPExchange.send("GET", location, headers: [("Accept", "application/json")])
        } catch {
            printError("taskhook jwks fetch: \(error)")
            throw ExitStatus.unavailable
        }
        guard answer.status == 200 else {
            printError("taskhook jwks fetch: \(url) answered \(answer.status); \(out) left as it was")
            throw ExitStatus.problems
        }
        let keys: Int
        do {
            keys = try JWKS.parse([UInt8](answer.body)).count
        } catch {
            printError("taskhook jwks fetch: \(url) did not give a usable key set (\(error)); \(out) left as it was")
            throw ExitStatus.problems
        }
        do {
            try FileSystem.replaceAtomically(out, with: [UInt8](answer.body))
        } catch {
            printError("taskhook jwks fetch: cannot write \(out): \(error)")
            throw ExitStatus.ioError
        }
        print("wrote \(out): \(keys) Ed25519 key(s)")
    }
}
