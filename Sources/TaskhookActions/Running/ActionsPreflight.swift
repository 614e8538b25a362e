import TaskhookPosix

/// What can be checked about the actions before any task ends: each command's program exists
/// and may be run (a bare name is looked up on PATH, as it will be), and each fetch directory
/// exists or can be made, and may be written.
public enum ActionsPreflight {
    /// One line per problem, naming the action.
    public static func problems(_ configuration: ActionsConfiguration, path: String?) -> [String] {
        var problems: [String] = []
        for action in configuration.actions {
            switch action.work {
            case .command(let arguments, let environment, _):
                let program = arguments[0]
                let search = environment["PATH"] ?? path ?? CommandInvocation.defaultPath
                if program.contains("/") {
                    if !FileSystem.isExecutable(program) {
                        problems.append("action \(action.name): \(program) is not an executable file")
                    }
                } else if !search.split(separator: ":").contains(where: { FileSystem.isExecutable("\($0)/\(program)") })
                {
                    problems.append("action \(action.name): \(program) is not found on PATH (\(search))")
                }
            case .fetch(let directory):
                do {
                    try FileSystem.createDirectories(directory, mode: 0o750)
                } catch {
                    problems.append("action \(action.name): cannot create \(directory): \(error)")
                    continue
                }
                if !FileSystem.isWritable(directory) {
                    problems.append("action \(action.name): \(directory) is not writable by this user")
                }
            }
        }
        return problems
    }
}
