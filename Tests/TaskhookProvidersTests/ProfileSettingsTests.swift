import TaskhookCore
import Testing

@testable import TaskhookProviders

/// Profiles read their own route keys into typed values; every error names the key's path and line.
@Suite struct ProfileSettingsTests {
    static func statusMap(_ members: KeyValuePairs<String, String>) -> Setting.Value {
        TestSettings.mapping("routes[0].status-map", line: 9, members)
    }

    static func error(_ body: () throws(SettingError) -> Void) -> SettingError? {
        do {
            try body()
            return nil
        } catch {
            return error
        }
    }

    @Test func freepikReadsItsSecretAndKeyMode() throws {
        let profile = try TestSettings.profile(
            FreepikProfile.self,
            [
                "secret": TestSettings.mapping("routes[0].secret", line: 2, ["env": "S"]),
                "key-mode": .scalar("raw"),
            ])
        #expect(profile == FreepikProfile(secret: .environment("S"), keyMode: .raw))
        let e = Self.error { () throws(SettingError) in
            _ = try TestSettings.profile(FreepikProfile.self, ["key-mode": .scalar("sometimes")])
        }
        #expect(e == SettingError(path: "routes[0].key-mode", line: 2, "expected one of auto, raw, standard"))
    }

    @Test func aStandardWebhooksRouteReadsPointersAndATypedStatusMap() throws {
        let profile = try TestSettings.profile(
            StandardWebhooksProfile.self,
            [
                "name": .scalar("acme"), "task-id": .scalar("/data/id"), "status": .scalar("/data/state"),
                "results": .scalar("/data/outputs"),
                "status-map": Self.statusMap(["running": "in_progress", "done": "completed"]),
            ])
        #expect(profile.eventProvider == "acme")
        #expect(profile.taskID.tokens == ["data", "id"])
        #expect(profile.statusMap == ["running": .inProgress, "done": .completed])
        #expect(profile.statusWords.words == ["done", "running"])
    }

    /// Its name is the identity its tasks are kept and named under (`name:id`).
    @Test func aStandardWebhooksNameWithAColonOrTooLongIsAnError() {
        for name in ["ac:me", String(repeating: "n", count: 129)] {
            let e = Self.error { () throws(SettingError) in
                _ = try TestSettings.profile(
                    StandardWebhooksProfile.self,
                    [
                        "name": .scalar(name), "task-id": .scalar("/id"), "status": .scalar("/s"),
                        "status-map": Self.statusMap(["done": "completed"]),
                    ])
            }
            #expect(e?.path == "routes[0].name", "\(name)")
            #expect(e?.message == "expected a name of 1 to 128 bytes without a colon (tasks are named name:id)")
        }
    }

    @Test func theEmptyPointerIsTheWholeDocument() throws {
        let profile = try TestSettings.profile(
            StandardWebhooksProfile.self,
            ["task-id": .scalar("/id"), "status": .scalar(""), "status-map": Self.statusMap(["done": "completed"])])
        #expect(profile.status.tokens == [])
        #expect(
            profile.normalize(Fixtures.body(#"{"id":7}"#))
                == .unparsed(reason: "the status at the document root is an object, not a string"))
    }

    @Test func aMalformedPointerIsAnErrorOnItsLine() {
        let e = Self.error { () throws(SettingError) in
            _ = try TestSettings.profile(
                StandardWebhooksProfile.self,
                [
                    "task-id": .scalar("/data/i~2d"), "status": .scalar("/s"),
                    "status-map": Self.statusMap(["done": "completed"]),
                ])
        }
        #expect(e?.path == "routes[0].task-id")
        #expect(e?.line == 2)
        #expect(e?.message == #"JSON pointer "/data/i~2d" has a '~' not followed by 0 or 1 (write '~0' for '~')"#)
        let relative = Self.error { () throws(SettingError) in
            _ = try TestSettings.profile(
                StandardWebhooksProfile.self,
                [
                    "task-id": .scalar("/id"), "status": .scalar("data/state"),
                    "status-map": Self.statusMap(["done": "completed"]),
                ])
        }
        #expect(relative?.path == "routes[0].status")
        #expect(relative?.line == 3)
    }

    @Test func anUnknownTargetStatusIsAnErrorOnItsLine() {
        let e = Self.error { () throws(SettingError) in
            _ = try TestSettings.profile(
                StandardWebhooksProfile.self,
                [
                    "task-id": .scalar("/id"), "status": .scalar("/s"),
                    "status-map": Self.statusMap(["done": "completed", "running": "sprinting"]),
                ])
        }
        #expect(
            e
                == SettingError(
                    path: "routes[0].status-map.running", line: 9,
                    "expected one of created, in_progress, completed, failed, canceled"))
    }

    @Test func anotherProvidersKeyIsRefusedNamingWhoseItIs() {
        func refusal<P: ProviderProfile>(_ type: P.Type, _ key: String) -> SettingError? {
            Self.error { () throws(SettingError) in
                _ = try TestSettings.profile(type, [key: .scalar("x")])
            }
        }
        #expect(
            refusal(FalProfile.self, "key-mode")
                == SettingError(path: "routes[0].key-mode", line: 2, "key-mode applies to freepik routes only"))
        #expect(refusal(FalProfile.self, "secret")?.message == "fal routes verify with jwks, not a secret")
        #expect(
            refusal(KlingProfile.self, "secret")?.message
                == "Kling signs nothing; a kling route is authenticated by its token")
        #expect(
            refusal(FreepikProfile.self, "public-key")?.message == "public-key applies to standard-webhooks routes only"
        )
        #expect(refusal(ReplicateProfile.self, "jwks")?.message == "jwks applies to fal routes only")
        #expect(
            refusal(FreepikProfile.self, "colour") == SettingError(path: "routes[0].colour", line: 2, "unknown key"))
    }

    @Test func secretsComeFromOneOfFourPlacesAndInlineOnesAreWarnedAbout() throws {
        var warnings: [String] = []
        let inline = TestSettings.route([
            "secret": TestSettings.mapping("routes[0].secret", line: 2, ["value": "whsec_x"])
        ])
        let profile = try ReplicateProfile(settings: inline, warnings: &warnings)
        #expect(profile.secret == .value("whsec_x"))
        #expect(
            warnings == [
                "routes[0].secret: the secret is written in the configuration file; use credential, file or env"
            ])
        let two = TestSettings.route([
            "secret": TestSettings.mapping("routes[0].secret", line: 2, ["value": "a", "env": "B"])
        ])
        #expect(
            throws: SettingError(
                path: "routes[0].secret", line: 2, "give exactly one of credential, file, env or value")
        ) {
            try ReplicateProfile(settings: two, warnings: &warnings)
        }
    }
}
