import ArgumentParser
import TaskhookClient
import TaskhookCore
import TaskhookProviders

/// A submit's parameters and credentials, read from files, `--set` and the key sources.
enum SubmitParameters {
    /// The JSON object of `file` (if any) with each `NAME=VALUE` of `settings` put over it, each value
    /// typed by the field the schema declares (text stays text: `duration=5` is the string "5").
    static func read(file: String?, settings: [String], schema: RequestSchema) throws -> JSON {
        var members: [(key: String, value: JSON)] = []
        if let file {
            guard let text = APIKeySource.fileText(file) else { throw ValidationError("cannot read --params \(file)") }
            guard case .object(let object) = try? JSON.parse(Array(text.utf8)) else {
                throw ValidationError("--params \(file) is not a JSON object")
            }
            members = object
        }
        for setting in settings {
            guard let equals = setting.firstIndex(of: "="), equals != setting.startIndex else {
                throw ValidationError("--set \(setting): write NAME=VALUE")
            }
            let name = String(setting[..<equals])
            let text = String(setting[setting.index(after: equals)...])
            members.removeAll { $0.key == name }
            members.append((key: name, value: try typed(text, name: name, shape: schema.field(name)?.shape)))
        }
        return .object(members)
    }

    static func typed(_ text: String, name: String, shape: ValueShape?) throws -> JSON {
        switch shape {
        case .string?, .uri?, nil: return .string(text)
        case .number?, .integer?, .array?, .object?:
            guard let value = try? JSON.parse(Array(text.utf8)) else {
                throw ValidationError("--set \(name)=\(text): the value is not JSON (\(name) is not text)")
            }
            return value
        }
    }

    static func credentials(for endpoint: SeedEndpoint, from keys: APIKeySource) throws -> ProviderCredentials {
        do {
            return try keys.credentials(for: endpoint)
        } catch {
            throw ValidationError("\(endpoint.rawValue): \(error)")
        }
    }

    static func join(_ base: String, _ path: String) -> String {
        var base = Substring(base)
        while base.hasSuffix("/") { base = base.dropLast() }
        return base + (path.hasPrefix("/") ? path : "/" + path)
    }
}
