import ArgumentParser
import Foundation
import TaskhookActions
import TaskhookProviders

/// `taskhook actions`: what runs when a task ends (the `actions:` section of taskhook.yaml).
struct ActionsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "actions",
        abstract: "Run commands or downloads when tasks end (the actions: section of taskhook.yaml).",
        subcommands: [ActionsRun.self, ActionsList.self, ActionsCheck.self])
}

/// `--config`, shared by `actions run` and `actions check`.
struct ActionsFileOptions: ParsableArguments {
    static let defaultPath = "/etc/taskhook/taskhook.yaml"

    @Option(
        help: ArgumentHelp(
            "The configuration file taskhookd reads, with its actions: section (default: $TASKHOOK_CONFIG, "
                + "else \(defaultPath)).", valueName: "file"))
    var config: String?

    var path: String { config ?? ProcessInfo.processInfo.environment["TASKHOOK_CONFIG"] ?? Self.defaultPath }

    /// The actions, checked: exits 78 (with the reasons) on a configuration that cannot run.
    func load(command: String) throws -> ActionsConfiguration {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            printError("taskhook actions \(command): cannot read \(path): \(error.localizedDescription)")
            throw ExitStatus.configuration
        }
        let configuration: ActionsConfiguration
        do {
            guard let parsed = try ActionsConfiguration.parse(yaml: text), !parsed.actions.isEmpty else {
                printError(
                    "taskhook actions \(command): \(path) has no actions (an actions: section with at least one)")
                throw ExitStatus.configuration
            }
            configuration = parsed
        } catch let error as SettingError {
            printError("taskhook actions \(command): \(path): \(error)")
            throw ExitStatus.configuration
        }
        let problems = ActionsPreflight.problems(configuration, path: ProcessInfo.processInfo.environment["PATH"])
        for problem in problems { printError("taskhook actions \(command): \(problem)") }
        if !problems.isEmpty { throw ExitStatus.configuration }
        return configuration
    }
}

/// `--state-dir`, shared by `actions run` and `actions list`.
struct StateDirectoryOption: ParsableArguments {
    static let systemPath = "/var/lib/taskhook-actions"

    @Option(
        help: ArgumentHelp(
            "Where the ledger and actions.prom live (default: $STATE_DIRECTORY, else \(systemPath) if it "
                + "exists, else ./taskhook-state/actions).", valueName: "dir"))
    var stateDir: String?

    var path: String {
        if let stateDir { return stateDir }
        if let systemd = ProcessInfo.processInfo.environment["STATE_DIRECTORY"]?.split(separator: ":").first {
            return String(systemd)
        }
        return FileManager.default.fileExists(atPath: Self.systemPath) ? Self.systemPath : "./taskhook-state/actions"
    }
}
