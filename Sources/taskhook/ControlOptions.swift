import ArgumentParser
import Foundation
import TaskhookClient
import TaskhookPosix

/// How to reach the control API, shared by `wait`, `status`, `tasks` and `events`: the Unix
/// control socket (the usual way), or the TCP admin listener with its bearer token.
struct ControlOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "The control socket (default: $TASKHOOK_SOCKET, else $RUNTIME_DIRECTORY/control.sock, else "
                + "/run/taskhook/control.sock if it exists, else ./taskhook-state/control.sock).",
            valueName: "path"))
    var socket: String?

    @Option(help: ArgumentHelp("The admin listener instead of the socket, as http://HOST:PORT.", valueName: "url"))
    var url: String?

    @Option(help: ArgumentHelp("The admin listener's bearer token (default: $TASKHOOK_TOKEN).", valueName: "token"))
    var token: String?

    func validate() throws {
        _ = try endpoint()
    }

    /// Where to connect, from the options and the environment.
    func endpoint(environment: [String: String] = ProcessInfo.processInfo.environment) throws(ValidationError)
        -> ControlEndpoint
    {
        if let url {
            guard socket == nil else { throw ValidationError("give --socket or --url, not both") }
            guard let token = token ?? environment["TASKHOOK_TOKEN"], !token.isEmpty else {
                throw ValidationError("--url needs --token or $TASKHOOK_TOKEN (the admin listener's bearer token)")
            }
            do {
                return try ControlEndpoint(url: url, token: token)
            } catch {
                throw ValidationError(error.description)
            }
        }
        guard token == nil else { throw ValidationError("--token goes with --url; the control socket needs none") }
        let path = socket ?? ControlEndpoint.defaultSocketPath(environment: environment)
        guard !path.isEmpty, path.utf8.count <= SocketAddress.maximumUnixPathBytes else {
            throw ValidationError(
                "the socket path must be 1 to \(SocketAddress.maximumUnixPathBytes) bytes long: \(path)")
        }
        return ControlEndpoint(socketPath: path)
    }

    /// One request for `status` and `tasks`; exits 69 (with the reason) if taskhookd does not answer.
    func get(_ target: String, command: String) throws -> ControlResponse {
        do {
            return try ControlConnection.get(try endpoint(), target)
        } catch let error as ControlError {
            printError("taskhook \(command): \(error)")
            throw ExitStatus.unavailable
        }
    }

    /// One POST of a JSON body; exits 69 (with the reason) if taskhookd does not answer.
    func post(_ target: String, body: [UInt8], command: String) throws -> ControlResponse {
        do {
            return try ControlConnection.post(try endpoint(), target, body: body)
        } catch let error as ControlError {
            printError("taskhook \(command): \(error)")
            throw ExitStatus.unavailable
        }
    }
}
