import ArgumentParser
import Foundation
import TaskhookClient
import TaskhookCore
import TaskhookProviders
import TaskhookState

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

            Before the provider is called, the task is registered with taskhookd (endpoint, --label, \
            --external-id, --deadline), then bound to the provider's task id and status URL from its answer: \
            a callback that arrives first is kept, and a task whose callback never comes is read by \
            taskhook reconcile, or ends failed at its deadline (default 6h) with the reason "deadline: no \
            callback and no status". If taskhookd cannot be reached, nothing is sent to the provider.

            The callback URL is --public-url plus --route (default /hooks/<provider>); the aggregator has no \
            webhook field, so its tasks are tracked by taskhook reconcile alone. API keys (freepik-api-key, \
            fal-key, aggregator-api-key, kling-access-key + kling-secret-key) are read from --key-dir, \
            $CREDENTIALS_DIRECTORY or the environment (FREEPIK_API_KEY, …), never from a flag's value.

            Standard output: the task id (with --wait, then the result URLs as taskhook wait prints them). \
            Exit status: 0 submitted (with --wait: completed); 1 the provider refused or the task failed; \
            65 the request breaks the schema, or taskhookd refused the registration; 69 the provider or \
            taskhookd cannot be reached; 124 --wait timed out; 64 usage error.
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

    @Option(help: ArgumentHelp("Each request's timeout.", valueName: "duration"))
    var requestTimeout = DurationArgument(seconds: 30)

    @OptionGroup var expectation: ExpectationOptions

    @Flag(help: "Print the smallest request the endpoint accepts, as JSON for --params, and send nothing.")
    var example = false

    @Flag(help: "Then wait for the task as taskhook wait does.")
    var wait = false

    @Option(help: ArgumentHelp("With --wait: give up waiting after this long (90s, 10m, 2h).", valueName: "duration"))
    var timeout: DurationArgument?

    @OptionGroup var connection: ControlOptions

    func validate() throws {
        guard timeout == nil || wait else { throw ValidationError("--timeout goes with --wait") }
        guard requestTimeout.duration > .zero else { throw ValidationError("--request-timeout must be above 0") }
        if let publicURL, !ExpectRecord.isHTTPURL(publicURL) {
            throw ValidationError("--public-url must be an http:// or https:// URL, not \(publicURL)")
        }
        let endpoint: SeedEndpoint
        do {
            endpoint = try SeedEndpoint.named(self.endpoint)
        } catch {
            throw ValidationError(error.description)
        }
        let now = Self.nowMilliseconds()
        let problems = registration(for: endpoint, now: now).problems(now: now)
        guard problems.isEmpty else { throw ValidationError(problems.joined(separator: "; ")) }
    }

    /// The registration made before the provider is called.
    func registration(for endpoint: SeedEndpoint, now: Int64, id: String? = nil) -> ExpectRecord {
        ExpectRecord(
            provider: endpoint.provider, registration: id, endpoint: endpoint.rawValue,
            deadline: (expectation.deadline ?? Self.defaultDeadline).milliseconds(now: now),
            labels: expectation.labelList, externalID: expectation.externalID)
    }

    func run() async throws {
        let endpoint = try SeedEndpoint.named(self.endpoint)
        if example {
            print(endpoint.exampleParameters.text)
            return
        }
        let parameters = try SubmitParameters.read(file: params, settings: settings, schema: endpoint.schema)
        // The schema first: a refused request needs no key, no registration, and sends nothing.
        let refusals = endpoint.schema.validate(parameters)
        guard refusals.isEmpty else { throw Self.failure(.invalidRequest(refusals)) }
        let keys = APIKeySource(keyDirectory: keyDir, environment: ProcessInfo.processInfo.environment)
        let credentials = try SubmitParameters.credentials(for: endpoint, from: keys)
        let callbackURL = publicURL.map { SubmitParameters.join($0, route ?? "/hooks/\(endpoint.provider)") }
        let baseURL = self.baseURL ?? endpoint.defaultBaseURL
        let request: OutboundRequest
        do {
            request = try endpoint.createRequest(
                parameters: parameters, callbackURL: callbackURL, baseURL: baseURL, credentials: credentials,
                now: Int64(Date().timeIntervalSince1970))
        } catch {
            throw Self.failure(error)
        }
        let registrar = SubmitRegistration(
            control: try connection.endpoint(),
            registration: registration(
                for: endpoint, now: Self.nowMilliseconds(), id: ExpectRecord.newRegistrationID()))
        _ = try registrar.register()
        let task: SubmittedTask
        do {
            let answer = try await ProviderExchange.send(
                request, timeout: Double(requestTimeout.duration.milliseconds) / 1000)
            task = try endpoint.readCreateAnswer(status: answer.status, body: Array(answer.body), baseURL: baseURL)
        } catch {
            // Refused (or busy, 429/5xx): no task was started, so nothing is expected. Unreachable
            // or unreadable, the provider may have started one whose id we never learned: the
            // registration then stays until its deadline, when taskhookd drops it with a warning.
            if !error.mayHaveStartedTask { registrar.withdraw() }
            throw Self.failure(error)
        }
        print(task.taskID)
        fflush(nil)
        try registrar.bind(task)
        let tracking = callbackURL == nil || endpoint.callbackParameter == .none ? "polled only" : "callback"
        printError(
            "taskhook submit: \(endpoint.rawValue) accepted task \(task.taskID) (\(tracking)); status at \(task.statusURL)"
        )
        if wait {
            do {
                try waitFor("\(endpoint.provider):\(task.taskID)")
            } catch {
                throw Self.failure(error)
            }
        }
    }

    /// Reports a submit error and picks its exit status.
    static func failure(_ error: SubmitError) -> ExitCode {
        printError("taskhook submit: \(error)")
        switch error {
        case .usage: return ExitStatus.usage
        case .invalidRequest: return ExitStatus.dataError
        case .unreachable, .unavailable: return ExitStatus.unavailable
        case .refused, .unreadableAnswer: return ExitStatus.problems
        }
    }

    /// Long enough for a video model's queue on a busy day, short enough that a task lost for good
    /// is reported the same day.
    static let defaultDeadline = DeadlineArgument(after: .seconds(6 * 3600))

    static func nowMilliseconds() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded()) }

    /// `taskhook wait` for the task, with this command's control options and timeout.
    func waitFor(_ taskID: String) throws(SubmitError) {
        var arguments = [taskID]
        if let timeout { arguments += ["--timeout", "\(timeout.duration.milliseconds)ms"] }
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
