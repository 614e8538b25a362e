import ArgumentParser
import Foundation
import TaskhookClient
import TaskhookProviders

/// `taskhook reconcile`: reads the status of expected tasks whose callbacks are late and hands what
/// it finds to taskhookd, so a lost callback does not leave a job waiting for ever. A process of its
/// own: the daemon makes no outbound connection.
struct ReconcileCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reconcile",
        abstract: "Poll the providers for expected tasks whose callbacks are late, and record what they say.",
        discussion: """
            Lists taskhookd's expected, unfinished tasks (GET /v1/expected) every --relist-interval. A task \
            quiet for its --quiet-period (no callback, no earlier reading) has its status read at the \
            provider, its registration's status URL or one built from its endpoint and --base-url; what the \
            provider says goes to taskhookd as an observation, journaled and applied like a callback (a \
            status already known is a duplicate, nothing is recorded twice). A task still running is read \
            again every --poll-interval. Reads stay within --concurrency and each vendor's --rate; a failed \
            read backs off exponentially with jitter, and a 429/503 with Retry-After pauses that vendor's \
            reads that long. Vendors: freepik, fal, aggregator, kling.

            API keys (freepik-api-key, fal-key, aggregator-api-key, kling-access-key + kling-secret-key) come \
            from --key-dir, $CREDENTIALS_DIRECTORY (LoadCredential=) or the environment (FREEPIK_API_KEY, …), \
            never from a flag's value.

            Standard error: one line per read (task, endpoint, outcome, status, duration). It runs until \
            SIGTERM or SIGINT (exit 0), finishing the reads under way. --once makes one pass over what is \
            due and exits: 0 every due task was read, 1 some could not be (named), 69 taskhookd unreachable.
            """)

    @Flag(help: "One pass over the tasks due now, then exit (for a timer).")
    var once = false

    @Option(
        name: .customLong("quiet-period"),
        help: ArgumentHelp(
            "How long a task must go without news before it is read, [VENDOR=]DURATION (repeatable; default "
                + "60s; for the aggregator, which sends no callbacks, the poll interval).",
            valueName: "[vendor=]duration"))
    var quietPeriods: [Keyed<DurationArgument>] = []

    @Option(help: ArgumentHelp("How often a task still running is read again.", valueName: "duration"))
    var pollInterval = DurationArgument(seconds: 30)

    @Option(help: ArgumentHelp("How often the expected tasks are listed again.", valueName: "duration"))
    var relistInterval = DurationArgument(seconds: 15)

    @Option(help: ArgumentHelp("Reads under way at once, across vendors.", valueName: "n"))
    var concurrency = 4

    @Option(
        name: .customLong("rate"),
        help: ArgumentHelp("Reads a second, [VENDOR=]N (repeatable; default 2).", valueName: "[vendor=]n"))
    var rates: [Keyed<Double>] = []

    @Option(help: ArgumentHelp("Reads a vendor may make at once after a quiet spell.", valueName: "n"))
    var burst = 2.0

    @Option(help: ArgumentHelp("Each request's timeout.", valueName: "duration"))
    var requestTimeout = DurationArgument(seconds: 30)

    @Option(
        help: ArgumentHelp("The backoff after a first failed read, doubled for each next one.", valueName: "duration"))
    var minBackoff = DurationArgument(seconds: 1)

    @Option(help: ArgumentHelp("The longest backoff after failed reads.", valueName: "duration"))
    var maxBackoff = DurationArgument(seconds: 300)

    @Option(
        name: .customLong("base-url"),
        help: ArgumentHelp(
            "A vendor's API, [VENDOR=]URL (repeatable; default: each vendor's production URL): where tasks "
                + "registered without a status URL are read, and the only host a status URL may name, since "
                + "the read carries the vendor's key.", valueName: "[vendor=]url"))
    var baseURLs: [Keyed<String>] = []

    @Option(help: ArgumentHelp("A directory of key files named as the keys are.", valueName: "dir"))
    var keyDir: String?

    @OptionGroup var connection: ControlOptions

    func validate() throws {
        _ = try settings()
    }

    /// The options as the reconciler's settings; every bad value refused naming its option.
    func settings() throws(ValidationError) -> ReconcileSettings {
        var settings = ReconcileSettings()
        settings.once = once
        guard (1...256).contains(concurrency) else { throw ValidationError("--concurrency must be 1 to 256") }
        guard burst >= 1, burst <= 1000 else { throw ValidationError("--burst must be 1 to 1000") }
        settings.policy.maxConcurrent = concurrency
        settings.policy.burst = burst
        settings.policy.pollInterval = try Self.seconds(pollInterval, "--poll-interval", atLeast: 0.01)
        settings.relistInterval = try Self.seconds(relistInterval, "--relist-interval", atLeast: 0.01)
        settings.policy.requestTimeout = try Self.seconds(requestTimeout, "--request-timeout", atLeast: 0.1)
        settings.policy.baseBackoff = try Self.seconds(minBackoff, "--min-backoff", atLeast: 0.01)
        settings.policy.maxBackoff = try Self.seconds(maxBackoff, "--max-backoff", atLeast: 0.01)
        guard settings.policy.baseBackoff <= settings.policy.maxBackoff else {
            throw ValidationError("--min-backoff must not exceed --max-backoff")
        }
        for period in quietPeriods {
            let seconds = try Self.seconds(period.value, "--quiet-period", atLeast: 0)
            if let vendor = try Self.vendor(period.name, "--quiet-period") {
                settings.quietPeriods[vendor] = seconds
            } else {
                settings.defaultQuietPeriod = seconds
            }
        }
        for rate in rates {
            guard rate.value > 0, rate.value <= 1000 else {
                throw ValidationError("--rate must be above 0, at most 1000")
            }
            if let vendor = try Self.vendor(rate.name, "--rate") {
                settings.policy.ratePerSecond[vendor] = rate.value
            } else {
                settings.policy.defaultRatePerSecond = rate.value
            }
        }
        for base in baseURLs {
            guard let url = URLComponents(string: base.value), ["http", "https"].contains(url.scheme ?? ""),
                url.host?.isEmpty == false
            else { throw ValidationError("--base-url must be an http:// or https:// URL, not \(base.value)") }
            if let vendor = try Self.vendor(base.name, "--base-url") {
                settings.baseURLs[vendor] = base.value
            } else {
                settings.defaultBaseURL = base.value
            }
        }
        return settings
    }

    static let vendors = Set(SeedEndpoint.allCases.map(\.vendor))

    static func vendor(_ name: String?, _ option: String) throws(ValidationError) -> String? {
        guard let name else { return nil }
        guard vendors.contains(name) else {
            throw ValidationError(
                "\(option) \(name)=…: not a vendor; vendors: \(vendors.sorted().joined(separator: ", "))")
        }
        return name
    }

    static func seconds(_ duration: DurationArgument, _ option: String, atLeast minimum: Double) throws(ValidationError)
        -> Double
    {
        let seconds = Double(duration.duration.milliseconds) / 1000
        guard seconds >= minimum else { throw ValidationError("\(option) must be at least \(minimum) s") }
        return seconds
    }

    func run() async throws {
        let endpoint = try connection.endpoint()
        var loop = ReconcileLoop(
            endpoint: endpoint, reconciler: Reconciler(settings: try settings()),
            keys: APIKeySource(keyDirectory: keyDir, environment: ProcessInfo.processInfo.environment))
        if let status = await loop.run() { throw status }
    }
}

/// `[NAME=]VALUE`: a value for one vendor, or without a name for all of them. NAME is a bare word,
/// so a URL's own `=` (in a query) is not taken for one.
struct Keyed<Value: ExpressibleByArgument>: ExpressibleByArgument {
    var name: String?
    var value: Value

    init?(argument: String) {
        if let equals = argument.firstIndex(of: "="), equals != argument.startIndex,
            argument[..<equals].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }),
            let value = Value(argument: String(argument[argument.index(after: equals)...]))
        {
            name = String(argument[..<equals])
            self.value = value
        } else if let value = Value(argument: argument) {
            name = nil
            self.value = value
        } else {
            return nil
        }
    }
}
