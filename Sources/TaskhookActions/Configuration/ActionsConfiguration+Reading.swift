import TaskhookCore
import TaskhookProviders

extension ActionsConfiguration {
    /// Reads the `actions:` value: a list of actions, or a mapping with `concurrency`, `backfill`
    /// and that list as `list`. Every error names the key's path and line.
    public static func read(_ node: Setting) throws(SettingError) -> ActionsConfiguration {
        var configuration = ActionsConfiguration()
        let items: [Setting]
        if case .list(let list) = node.value {
            items = list
        } else {
            let map = try node.requireMapping()
            if let value = map["concurrency"] {
                configuration.concurrency = try value.requireInt(min: 1)
                guard configuration.concurrency <= 256 else { throw value.error("must be at most 256") }
            }
            if let value = map["backfill"] { configuration.backfill = try value.requireBool() }
            items = try map["list"]?.requireList() ?? []
            try map.finish()
        }
        for item in items {
            let action = try readAction(item)
            if configuration.actions.contains(where: { $0.name == action.name }) {
                throw item.error("the name \(action.name) is used by another action")
            }
            configuration.actions.append(action)
        }
        return configuration
    }

    static func readAction(_ node: Setting) throws(SettingError) -> ActionDefinition {
        let map = try node.requireMapping()
        let nameNode = try map.require("name")
        let name = try nameNode.requireString()
        guard name.count <= 64, name.utf8.allSatisfy(Self.isNameByte) else {
            throw nameNode.error("a name is 1 to 64 of a-z, 0-9, '-' and '_' (it names log fields and metrics)")
        }
        var statuses: Set<TaskStatus> = [.completed]
        if let on = map["on"] {
            statuses = []
            for word in try on.requireList() {
                guard let text = word.string, let named = ActionTrigger.statuses(named: text) else {
                    throw word.error("expected \(ActionTrigger.statusWords)")
                }
                statuses.formUnion(named)
            }
            guard !statuses.isEmpty else { throw on.error("needs at least one status") }
        }
        var providers: [String] = []
        if let provider = map["provider"] {
            for item in try provider.requireList() { providers.append(try item.requireString()) }
        }
        let work: ActionDefinition.Work
        switch (map["run"], map["fetch"]) {
        case (let run?, nil): work = try readCommand(run, map)
        case (nil, let fetch?): work = try readFetch(fetch)
        case (.some, .some): throw map.setting.error("give run or fetch, not both")
        case (nil, nil): throw map.setting.error("needs run (a command) or fetch (downloads)")
        }
        var timeout = ActionDefinition.defaultTimeout
        if let value = map["timeout"] { timeout = try positiveDuration(value) }
        // A command may have side effects, so it runs once unless the operator says it may run
        // again; a download is idempotent and resumes, so it tries a few times by default.
        var retry = RetryPolicy(retries: 0)
        if case .fetch = work { retry.retries = 5 }
        if let value = map["retries"] {
            retry.retries = try value.requireInt(min: 0)
            guard retry.retries <= 100 else { throw value.error("must be at most 100") }
        }
        if let value = map["backoff"] { retry.backoff = try positiveDuration(value) }
        if let value = map["max-backoff"] { retry.maxBackoff = try positiveDuration(value) }
        guard retry.maxBackoff >= retry.backoff else {
            throw map.setting.error("max-backoff must be at least backoff")
        }
        try map.finish()
        return ActionDefinition(
            name: name, trigger: ActionTrigger(statuses: statuses, providers: providers), work: work,
            timeout: timeout, retry: retry)
    }

    private static func readCommand(_ run: Setting, _ map: SettingsMapping) throws(SettingError)
        -> ActionDefinition.Work
    {
        guard case .list(let items) = run.value, !items.isEmpty else {
            throw run.error("expected the command as a list: [program, argument, …] (it is not run by a shell)")
        }
        var arguments: [String] = []
        for item in items {
            guard let text = item.string else { throw item.error("expected a string") }
            arguments.append(text)
        }
        guard !arguments[0].isEmpty else { throw items[0].error("the program must not be empty") }
        var environment: [String: String] = [:]
        if let node = map["environment"] {
            let variables = try node.requireMapping()
            for name in variables.keys {
                let value = try variables.require(name)
                try checkVariableName(name, value)
                guard let text = value.string else { throw value.error("expected a string") }
                environment[name] = text
            }
            try variables.finish()
        }
        var pass: [String] = []
        if let node = map["pass-environment"] {
            for item in try node.requireList() {
                let name = try item.requireString()
                try checkVariableName(name, item)
                pass.append(name)
            }
        }
        return .command(arguments: arguments, environment: environment, passEnvironment: pass)
    }

    private static func readFetch(_ node: Setting) throws(SettingError) -> ActionDefinition.Work {
        let map = try node.requireMapping()
        let directoryNode = try map.require("directory")
        let directory = try directoryNode.requireString()
        guard directory.hasPrefix("/") else { throw directoryNode.error("must be an absolute path") }
        try map.finish()
        return .fetch(directory: directory)
    }

    /// A name a command's environment can hold, and not one the runner sets itself.
    private static func checkVariableName(_ name: String, _ node: Setting) throws(SettingError) {
        guard let first = name.utf8.first, !isDigit(first), name.utf8.allSatisfy(isVariableByte) else {
            throw node.error("\(name) is not a variable name (letters, digits and '_', not starting with a digit)")
        }
        guard !CommandInvocation.reservedPrefixes.contains(where: { name.hasPrefix($0) }) else {
            throw node.error("\(name): TASK_* and ACTION_* are set by the runner for each task")
        }
    }

    private static func positiveDuration(_ node: Setting) throws(SettingError) -> Duration {
        let duration = try node.requireDuration()
        guard duration > .zero else { throw node.error("must be more than 0") }
        return duration
    }

    private static func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }

    private static func isLower(_ byte: UInt8) -> Bool { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) }

    /// An action name's: a-z, 0-9, '-', '_'.
    private static func isNameByte(_ byte: UInt8) -> Bool {
        isLower(byte) || isDigit(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
    }

    /// An environment variable name's: letters, digits, '_'.
    private static func isVariableByte(_ byte: UInt8) -> Bool {
        isLower(byte) || isDigit(byte) || byte == UInt8(ascii: "_")
            || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
    }
}
