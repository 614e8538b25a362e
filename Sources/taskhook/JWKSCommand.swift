import ArgumentParser
import Foundation
import TaskhookClient
import TaskhookCore
import TaskhookPosix
import TaskhookProviders

struct JWKSCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jwks", abstract: "Keep fal's signing keys (a JWKS file) fresh.", subcommands: [JWKSFetch.self])
}

struct JWKSFetch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fetch",
        abstract: "Download JWKS from one or more URLs and replace FILE atomically with their keys merged.",
        discussion: """
            The daemon notices the new file within a second and verifies with the new keys; it \
            never needs the network itself. fal documents its keys at \
            https://rest.alpha.fal.ai/.well-known/jwks.json (newer text: https://rest.fal.ai/...): give \
            both. A URL that does not answer a usable key set is reported and its keys left out; when \
            none does, FILE is left as it was. Exit status: 0 every URL gave keys; 1 some did not.
            """)

    @Option(
        name: .customLong("url"),
        help: ArgumentHelp(
            "Where to fetch from; repeat for several hosts (their keys are merged).", valueName: "url"))
    var urls: [String]

    @Option(help: ArgumentHelp("The JWKS file the fal route reads.", valueName: "file"))
    var out: String

    func validate() throws {
        guard !urls.isEmpty else { throw ValidationError("give at least one --url") }
        for url in urls {
            guard let location = URL(string: url), ["https", "http"].contains(location.scheme ?? "") else {
                throw ValidationError("--url must be an http(s) URL, not \(url)")
            }
        }
    }

    func run() async throws {
        var sets: [[UInt8]] = []
        var failed = 0
        for url in urls {
            do {
                sets.append(try await fetch(url))
            } catch {
                printError("taskhook jwks fetch: \(error)")
                failed += 1
            }
        }
        guard !sets.isEmpty else {
            printError("taskhook jwks fetch: no URL gave a usable key set; \(out) left as it was")
            throw ExitStatus.problems
        }
        let merged: [UInt8]
        let keys: Int
        do {
            merged = try JWKS.merge(sets)
            keys = try JWKS.parse(merged).count
        } catch {
            printError("taskhook jwks fetch: the key sets cannot be merged (\(error)); \(out) left as it was")
            throw ExitStatus.problems
        }
        do {
            try FileSystem.replaceAtomically(out, with: merged)
        } catch {
            printError("taskhook jwks fetch: cannot write \(out): \(error)")
            throw ExitStatus.ioError
        }
        print("wrote \(out): \(keys) Ed25519 key(s) from \(sets.count) of \(urls.count) URL(s)")
        if failed > 0 { throw ExitStatus.problems }
    }

    struct FetchError: Error, CustomStringConvertible {
        let description: String
    }

    /// One URL's key set, checked to hold usable keys.
    private func fetch(_ url: String) async throws -> [UInt8] {
        let answer: HTTPExchange.Answer
        do {
            answer = try await HTTPExchange.send("GET", URL(string: url)!, headers: [("Accept", "application/json")])
        } catch {
            throw FetchError(description: "\(url): \(error)")
        }
        guard answer.status == 200 else { throw FetchError(description: "\(url) answered \(answer.status)") }
        let body = [UInt8](answer.body)
        do {
            _ = try JWKS.parse(body)
        } catch {
            throw FetchError(description: "\(url) did not give a usable key set (\(error))")
        }
        return body
    }
}
