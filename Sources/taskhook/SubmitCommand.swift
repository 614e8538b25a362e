import ArgumentParser
import Foundation
import TaskhookClient
import TaskhookCore
import TaskhookProviders

/// `taskhook submit`: starts a task at a provider, its request checked against the seed schema
/// before anything is sent, with the callback pointed at this deployment's route.
struct SubmitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit",
        abstract: "Start a task at a provider (checked against its schema first) and print its task id.",
        discussion: """
            Endpoints: \(SeedEndpoint.allCases.map { $0.rawValue }.joined(separator: ", ")).

            Parameters come from --params FILE (a JSON object) and --set NAME=VALUE (typed by the schema: \
            a number field takes a number, an array field JSON). Every refusal names the field and the rule, \
            and nothing is sent.

            The callback URL is --public-url plus --route (default /hooks/<provider>); the aggregator has no \
            webhook field, so its tasks can only be polled (no reconciler yet: --wait cannot end for them). API keys (freepik-api-key, \
            fal-key, aggregator-api-key, kling-access-key + kling-secret-key) are read from --key-dir, \
            $CREDENTIALS_DIRECTORY or the environment (FREEPIK_API_KEY, …), never from a flag's value.

            Standard output: the task id (with --wait, then the result URLs as taskhook wait prints them). \
            Exit status: 0 submitted (with --wait: completed); 1 the provider refused or the task failed; \
            65 the request breaks the schema; 69 the provider cannot be reached; 64 usage error.
            """)

    @Argument(help: ArgumentHelp("The endpoint, e.g. freepik/kling-v2.", valueName: "endpoint"))
    var endpoint: String

    @Option(help: ArgumentHelp("A JSON file with the request's parameters.", valueName: "file"))
    var params: String?

    @Option(
        name: .customLong("set"), help: ArgumentHelp("One parameter, NAME=VALUE (repeatable).", valueName: "name=value")
    )
    var settings: [String] = []

    @Option(help: ArgumentHelp("The provider's base URL (default: its production URL).", valueName: "url"))
    var baseURL: String?

    @Option(help: ArgumentHelp("This deployment's public base URL, e.g. https://hooks.example.com.", valueName: "url"))
    var publicURL: String?

    @Option(help: ArgumentHelp("The route's path (default /hooks/<provider>).", valueName: "path"))
    var route: String?

    @Option(help: ArgumentHelp("A directory of key files named as the keys are.", valueName: "dir"))
    var keyDir: String?

    @Option(help: ArgumentHelp("Each request's timeout in seconds.", valueName: "seconds"))
    var requestTimeout: Double = 30

    @Flag(help: "Print the smallest request the endpoint accepts, as JSON for --params, and send nothing.")
    var example = false

    @Flag(help: "Then wait for the task as taskhook wait does.")
    var wait = false

    @Option(help: ArgumentHelp("With --wait: give up after this long.", valueName: "duration"))
    var timeout: String?

    @OptionGroup var connection: ControlOptions

    func run() async throws {
        let endpoint = try SeedEndpoint.named(self.endpoint)
        if example {
            print(endpoint.exampleParameters.text)
            return
        }
        let parameters = try SubmitParameters.read(file: params, settings: settings, schema: endpoint.schema)
        // The schema first: a refused request needs no key and sends nothing.
        let refusals = endpoint.schema.validate(parameters)
        guard refusals.isEmpty else {
            printError("taskhook submit: \(SubmitError.invalidRequest(refusals))")
            throw ExitCode(65)
        }
        let keys = APIKeySource(keyDirectory: keyDir, environment: ProcessInfo.processInfo.environment)
        let credentials = try SubmitParameters.credentials(for: endpoint, from: keys)
        let callbackURL = publicURL.map { SubmitParameters.join($0, route ?? "/hooks/\(endpoint.provider)") }
        let baseURL = self.baseURL ?? endpoint.defaultBaseURL
        do throws(SubmitError) {
            let request = try endpoint.createRequest(
                parameters: parameters, callbackURL: callbackURL, baseURL: baseURL, credentials: credentials,
                now: Int64(Date().timeIntervalSince1970))
            let answer = try await ProviderExchange.send(request, timeout: requestTimeout)
            let task = try endpoint.readCreateAnswer(status: answer.status, body: Array(answer.body), baseURL: baseURL)
            print(task.taskID)
            fflush(nil)
            printError(
                "taskhook submit: \(endpoint.rawValue) accepted task \(task.taskID); status at \(task.statusURL)")
            if wait { try waitFor(task.taskID) }
        } catch {
            printError("taskhook submit: \(error)")
            switch error {
            case .usage: throw ExitStatus.usage
            case .invalidRequest: throw ExitCode(65)
            case .unreachable, .unavailable: throw ExitStatus.unavailable
            case .refused, .unreadableAnswer: throw ExitStatus.problems
            }
        }
    }

    /// `taskhook wait` for the task, with this command's control options and timeout.
    func waitFor(_ taskID: String) throws(SubmitError) {
        var arguments = [taskID]
        if let timeout { arguments += ["--timeout", timeout] }
        if let socket = connection.socket { arguments += ["--socket", socket] }
        if let url = connection.url { arguments += ["--url", url] }
        if let token = connection.token { arguments += ["--token", token] }
        do {
            let command = try WaitCommand.parse(arguments)
            try command.run()
        } catch let exit as ExitCode {
            Foundation.exit(exit.rawValue)
        } catch {
            throw .usage("\(error)")
        }
    }
}
