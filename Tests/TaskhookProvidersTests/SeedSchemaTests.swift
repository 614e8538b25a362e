import TaskhookCore
import Testing

@testable import TaskhookProviders

/// Every constraint of every seed schema, each broken by one request that must be refused before
/// sending, naming the field and the rule.
@Suite struct SeedSchemaTests {
    /// A request each endpoint accepts: the seeds' required fields and nothing else.
    static func valid(_ endpoint: SeedEndpoint) -> JSON { endpoint.exampleParameters }

    struct Violation: CustomTestStringConvertible, Sendable {
        var endpoint: SeedEndpoint
        var change: @Sendable (inout [(key: String, value: JSON)]) -> Void
        var field: String
        var rule: String
        var label: String
        var testDescription: String { "\(endpoint.rawValue): \(label)" }
    }

    static func set(_ endpoint: SeedEndpoint, _ name: String, _ value: JSON, field: String? = nil, rule: String)
        -> Violation
    {
        Violation(
            endpoint: endpoint,
            change: { members in
                members.removeAll { $0.key == name }
                members.append((key: name, value: value))
            },
            field: field ?? name, rule: rule, label: "\(name) = \(value.text.prefix(60))")
    }

    static func drop(_ endpoint: SeedEndpoint, _ name: String, rule: String = "is required") -> Violation {
        Violation(
            endpoint: endpoint, change: { $0.removeAll { $0.key == name } }, field: name, rule: rule,
            label: "without \(name)")
    }

    static let longText = JSON.string(String(repeating: "é", count: 2501))
    static let fiveImages = JSON.array(Array(repeating: "https://example.com/a.jpg", count: 5))

    /// Read off the seed documents by hand, independently of `SeedSchemas`.
    static let violations: [Violation] = {
        var list: [Violation] = []
        for endpoint in [SeedEndpoint.freepikKlingV25Pro, .freepikKlingV2, .freepikKlingV21Std] {
            list += [
                drop(endpoint, "duration"),
                set(endpoint, "duration", "7", rule: #"must be one of "5", "10", not "7""#),
                set(endpoint, "duration", 5, rule: "must be a string, not a number"),
                set(endpoint, "cfg_scale", .number("1.5"), rule: "must be between 0 and 1, not 1.5"),
                set(endpoint, "cfg_scale", .number("-0.1"), rule: "must be between 0 and 1, not -0.1"),
                set(endpoint, "cfg_scale", "0.5", rule: "must be a number, not a string"),
                set(endpoint, "prompt", longText, rule: "must be at most 2500 characters, not 2501"),
                set(endpoint, "negative_prompt", longText, rule: "must be at most 2500 characters, not 2501"),
                set(endpoint, "image", 7, rule: "must be a string, not a number"),
                set(endpoint, "seed", 42, rule: "is not a field of this request"),
                set(endpoint, "webhook_url", "hooks.example.com/x", rule: "must be an absolute URI"),
                set(endpoint, "webhook_url", 1, rule: "must be a string, not a number"),
            ]
        }
        list.append(drop(.freepikKlingV2, "image"))
        let elements = SeedEndpoint.freepikKlingElementsPro
        list += [
            drop(elements, "images"),
            set(elements, "images", fiveImages, rule: "must have at most 4 items, not 5"),
            set(elements, "images", [7], field: "images[0]", rule: "must be a string, not a number"),
            set(elements, "images", "https://example.com/a.jpg", rule: "must be an array, not a string"),
            set(elements, "aspect_ratio", "4_3", rule: "must be one of \"widescreen_16_9\", \"social_story_9_16\""),
            set(elements, "duration", "3", rule: #"must be one of "5", "10", not "3""#),
            set(elements, "prompt", longText, rule: "must be at most 2500 characters"),
            set(elements, "negative_prompt", longText, rule: "must be at most 2500 characters"),
            set(elements, "cfg_scale", .number("0.5"), rule: "is not a field of this request"),
            set(elements, "webhook_url", "https://h/a b", rule: "must be an absolute URI"),
        ]
        let std = SeedEndpoint.freepikKlingV21Std
        list += [
            drop(std, "prompt", rule: "is required when image is not given"),
            set(std, "static_mask", [], rule: "must be a string, not an array"),
            set(std, "dynamic_masks", ["mask": "m"], rule: "must be an array, not an object"),
            set(
                std, "dynamic_masks", [["trajectories": []]], field: "dynamic_masks[0].mask",
                rule: "is required"),
            set(std, "dynamic_masks", [["mask": "m"]], field: "dynamic_masks[0].trajectories", rule: "is required"),
            set(
                std, "dynamic_masks", [["mask": 1, "trajectories": []]], field: "dynamic_masks[0].mask",
                rule: "must be a string"),
            set(
                std, "dynamic_masks", [["mask": "m", "trajectories": [["x": 1]]]],
                field: "dynamic_masks[0].trajectories[0].y", rule: "is required"),
            set(
                std, "dynamic_masks", [["mask": "m", "trajectories": [["y": 1]]]],
                field: "dynamic_masks[0].trajectories[0].x", rule: "is required"),
            set(
                std, "dynamic_masks",
                [["mask": "m", "trajectories": [["x": 1, "y": 2], ["x": .number("1.5"), "y": 2]]]],
                field: "dynamic_masks[0].trajectories[1].x", rule: "must be a whole number, not a number"),
            set(
                std, "dynamic_masks", [["mask": "m", "trajectories": [["x": 1, "y": "2"]]]],
                field: "dynamic_masks[0].trajectories[0].y", rule: "must be a whole number, not a string"),
            set(
                std, "dynamic_masks", [["mask": "m", "trajectories": [1]]],
                field: "dynamic_masks[0].trajectories[0]", rule: "must be an object, not a number"),
        ]
        for endpoint in [SeedEndpoint.falKlingV25TurboPro, .aggregatorKlingV25TurboPro] {
            list += [
                drop(endpoint, "prompt"), drop(endpoint, "image_url"),
                set(endpoint, "duration", "6", rule: #"must be one of "5", "10", not "6""#),
                set(endpoint, "cfg_scale", .number("1.01"), rule: "must be between 0 and 1, not 1.01"),
                set(endpoint, "negative_prompt", false, rule: "must be a string, not false"),
            ]
        }
        list += [
            set(.aggregatorKlingV25TurboPro, "webhook_url", "https://h/x", rule: "is not a field of this request"),
            set(.aggregatorKlingV25TurboPro, "tail_image_url", "https://h/t.jpg", rule: "is not a field"),
            drop(.klingImageToVideo, "image"),
            set(.klingImageToVideo, "mode", "ultra", rule: #"must be one of "std", "pro", not "ultra""#),
            set(.klingImageToVideo, "duration", "8", rule: #"must be one of "5", "10""#),
            set(.klingImageToVideo, "cfg_scale", 2, rule: "must be between 0 and 1, not 2"),
            set(.klingImageToVideo, "prompt", longText, rule: "must be at most 2500 characters"),
        ]
        return list
    }()

    @Test func everyEndpointAcceptsItsMinimalRequest() {
        for endpoint in SeedEndpoint.allCases {
            #expect(endpoint.schema.validate(Self.valid(endpoint)) == [], "\(endpoint.rawValue)")
        }
    }

    @Test(arguments: violations)
    func aRequestBreakingARuleIsRefusedNamingTheFieldAndTheRule(_ violation: Violation) throws {
        guard case .object(var members) = Self.valid(violation.endpoint) else { return }
        violation.change(&members)
        let refusals = violation.endpoint.schema.validate(.object(members))
        #expect(refusals.count == 1, "\(refusals)")
        let refusal = try #require(refusals.first)
        #expect(refusal.field == violation.field)
        #expect(refusal.rule.hasPrefix(violation.rule), "\(refusal.rule)")
    }

    @Test(arguments: SeedEndpoint.allCases)
    func aRefusedRequestThrowsBeforeAnyRequestIsBuilt(_ endpoint: SeedEndpoint) {
        #expect(throws: SubmitError.self) {
            try endpoint.createRequest(
                parameters: ["prompt": Self.longText], callbackURL: "https://hooks.example.com/hooks/x",
                baseURL: "http://127.0.0.1:1", credentials: Self.credentials(endpoint), now: 1_700_000_000)
        }
    }

    /// The sweep that keeps the hand-written table honest: every constraint `SeedSchemas` states is
    /// broken once here, generated from the schema, and each must be refused naming its field.
    @Test(arguments: SeedEndpoint.allCases)
    func everyConstraintInTheSchemaRefusesAViolatingRequest(_ endpoint: SeedEndpoint) {
        let schema = endpoint.schema
        guard case .object(let base) = Self.valid(endpoint) else { return }
        var broken = 0
        for rule in schema.fields {
            for bad in Self.violatingValues(rule.shape) {
                let body = JSON.object(base.filter { $0.key != rule.name } + [(key: rule.name, value: bad)])
                let refusals = schema.validate(body)
                #expect(
                    refusals.contains { $0.field.hasPrefix(rule.name) },
                    "\(endpoint.rawValue) \(rule.name) = \(bad.text.prefix(40))")
                broken += 1
            }
            if rule.required {
                let refusals = schema.validate(.object(base.filter { $0.key != rule.name }))
                #expect(refusals == [SchemaRefusal(field: rule.name, rule: "is required")])
                broken += 1
            }
        }
        #expect(broken >= schema.fields.count)
    }

    static func violatingValues(_ shape: ValueShape) -> [JSON] {
        switch shape {
        case .string(let maxLength, let oneOf):
            [.bool(true)] + (maxLength.map { [.string(String(repeating: "a", count: $0 + 1))] } ?? [])
                + (oneOf.map { [.string($0.joined() + "x")] } ?? [])
        case .uri: [.bool(true), "no-scheme/path"]
        case .number(let range):
            ["text"] + (range.map { [.number(String($0.upperBound + 1)), .number(String($0.lowerBound - 1))] } ?? [])
        case .integer: [.number("0.5"), "1"]
        case .array(let element, let maxItems):
            [.object([])] + (maxItems.map { [.array(Array(repeating: sample(element), count: $0 + 1))] } ?? [])
                + violatingValues(element).map { .array([$0]) }
        case .object(let schema):
            [.array([])]
                + schema.fields.filter(\.required).map { missing in
                    .object(
                        schema.fields.filter { $0.required && $0.name != missing.name }.map {
                            (key: $0.name, value: sample($0.shape))
                        })
                }
        }
    }

    static func sample(_ shape: ValueShape) -> JSON {
        switch shape {
        case .string(_, let oneOf): .string(oneOf?.first ?? "x")
        case .uri: "https://example.com/x"
        case .number: .number("0.5")
        case .integer: 1
        case .array: []
        case .object(let schema):
            .object(schema.fields.filter(\.required).map { (key: $0.name, value: sample($0.shape)) })
        }
    }

    static func credentials(_ endpoint: SeedEndpoint) -> ProviderCredentials {
        endpoint.credential == .klingAccessKeyPair ? .accessKeyPair(accessKey: "ak", secretKey: "sk") : .apiKey("key")
    }
}
