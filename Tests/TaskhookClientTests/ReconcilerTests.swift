import TaskhookCore
import TaskhookProviders
import Testing

@testable import TaskhookClient

@Suite struct ReconcilerTests {
    static let base = "http://sim.test"

    static func settings(_ change: (inout ReconcileSettings) -> Void = { _ in }) -> ReconcileSettings {
        var settings = ReconcileSettings()
        settings.defaultQuietPeriod = 10
        settings.relistInterval = 5
        settings.defaultBaseURL = base
        settings.policy.pollInterval = 30
        settings.policy.defaultRatePerSecond = 100
        settings.policy.burst = 100
        change(&settings)
        return settings
    }

    /// A listed task as the daemon writes it; `heard` in seconds.
    static func task(
        _ id: String, provider: String = "freepik", endpoint: String? = "freepik/kling-v2", heard: Double = 0,
        statusURL: String? = nil, terminal: Bool = false
    ) -> TaskView {
        let expected: JSON = [
            "endpoint": .optional(endpoint), "status_url": .optional(statusURL), "result_url": .null,
            "deadline": 9_999_999_999_999, "labels": [:], "registration": .null, "registered": 0,
        ]
        let json: JSON = [
            "id": .string(id), "provider": .string(provider), "key": .string("\(provider):\(id)"),
            "status": terminal ? "completed" : "created", "terminal": .bool(terminal),
            "last_heard": .integer(Int64(heard * 1000)), "expected": expected,
        ]
        return try! TaskView(json: json)
    }

    func reads(_ reconciler: inout Reconciler, now: Double) -> [String] {
        var keys: [String] = []
        while case .read(let target) = reconciler.next(now: now) { keys.append(target.key) }
        return keys
    }

    func target(_ reconciler: Reconciler, _ key: String) -> PollTarget {
        reconciler.targets[key]!
    }

    @Test func aTaskIsReadOnlyOnceItHasBeenQuietForItsQuietPeriod() {
        var reconciler = Reconciler(settings: Self.settings())
        #expect(reconciler.next(now: 100) == .list)
        #expect(reconciler.listed([Self.task("a", heard: 95)], now: 100) == [])
        #expect(reconciler.next(now: 100) == .wait(until: 105))  // the next listing comes first
        #expect(reads(&reconciler, now: 104.9) == [])
        #expect(reconciler.next(now: 105) == .list)
        _ = reconciler.listed([Self.task("a", heard: 95)], now: 105)
        #expect(reads(&reconciler, now: 105) == ["freepik:a"])  // due at 95 + 10
    }

    @Test func aTaskQuietLongEnoughIsReadAtOnceFromItsEndpointsStatusURL() {
        var reconciler = Reconciler(settings: Self.settings())
        _ = reconciler.next(now: 100)
        _ = reconciler.listed([Self.task("a", heard: 50)], now: 100)
        guard case .read(let target) = reconciler.next(now: 100) else {
            Issue.record("no read")
            return
        }
        #expect(target.key == "freepik:a")
        #expect(target.endpoint == .freepikKlingV2)
        #expect(target.task == SubmittedTask(taskID: "a", statusURL: Self.base + "/v1/ai/image-to-video/kling-v2/a"))
    }

    @Test func newsFromACallbackPushesTheReadBack() {
        var reconciler = Reconciler(settings: Self.settings())
        _ = reconciler.next(now: 100)
        _ = reconciler.listed([Self.task("a", heard: 92)], now: 100)
        #expect(reconciler.schedule.due("freepik:a") == 102)
        // A callback at 101 moves its last news: the read waits for a quiet period from there.
        _ = reconciler.listed([Self.task("a", heard: 101)], now: 101.5)
        #expect(reconciler.schedule.due("freepik:a") == 111)
        #expect(reads(&reconciler, now: 102) == [])
    }

    @Test func aTaskNoLongerListedIsForgottenUnread() {
        var reconciler = Reconciler(settings: Self.settings { $0.relistInterval = 1000 })
        _ = reconciler.next(now: 100)
        _ = reconciler.listed([Self.task("a", heard: 95), Self.task("b", heard: 0)], now: 100)
        _ = reconciler.listed([Self.task("b", heard: 0)], now: 101)
        #expect(!reconciler.schedule.contains("freepik:a"))
        #expect(reads(&reconciler, now: 200) == ["freepik:b"])
    }

    @Test func aTaskStillRunningIsReadAgainAfterThePollIntervalAndAnEndedOneNoMore() {
        var reconciler = Reconciler(settings: Self.settings { $0.relistInterval = 1000 })
        _ = reconciler.next(now: 100)
        _ = reconciler.listed([Self.task("a"), Self.task("b")], now: 100)
        #expect(reads(&reconciler, now: 100) == ["freepik:a", "freepik:b"])
        let a = target(reconciler, "freepik:a")
        let b = target(reconciler, "freepik:b")
        #expect(
            reconciler.finished(a, .handedOver(.duplicate, status: "in_progress", terminal: false), now: 101, unit: 0)
                == nil)
        #expect(
            reconciler.finished(b, .handedOver(.changed, status: "completed", terminal: true), now: 101, unit: 0) == nil
        )
        #expect(reconciler.next(now: 101) == .wait(until: 131))
        #expect(reads(&reconciler, now: 131) == ["freepik:a"])
        #expect(reconciler.targets["freepik:b"] == nil)
    }

    @Test func aBusyVendorIsLeftAloneForItsRetryAfterWhileOthersGoOn() {
        var reconciler = Reconciler(settings: Self.settings { $0.relistInterval = 1000 })
        _ = reconciler.next(now: 100)
        _ = reconciler.listed(
            [
                Self.task("a"), Self.task("b"),
                Self.task("k", provider: "kling", endpoint: "kling/image2video"),
            ], now: 100)
        #expect(reads(&reconciler, now: 100) == ["freepik:a", "freepik:b", "kling:k"])
        let busy = SubmitError.unavailable(status: 429, retryAfter: 20)
        _ = reconciler.finished(target(reconciler, "freepik:a"), .providerFailed(busy), now: 100, unit: 0)
        _ = reconciler.finished(target(reconciler, "freepik:b"), .running("x"), now: 100, unit: 0)
        _ = reconciler.finished(
            target(reconciler, "kling:k"), .providerFailed(.unreachable("timeout")), now: 100, unit: 0)
        // kling backs off (1 s step, equal jitter at unit 0: 0.5 s); freepik waits 20 s for both tasks.
        #expect(reads(&reconciler, now: 100.5) == ["kling:k"])
        #expect(reads(&reconciler, now: 119.9) == [])
        #expect(reads(&reconciler, now: 120) == ["freepik:a"])
    }

    @Test func aDaemonThatCannotTakeTheObservationBacksTheTaskOffWithoutPausingTheVendor() {
        var reconciler = Reconciler(settings: Self.settings { $0.relistInterval = 1000 })
        _ = reconciler.next(now: 100)
        _ = reconciler.listed([Self.task("a"), Self.task("b")], now: 100)
        _ = reads(&reconciler, now: 100)
        _ = reconciler.finished(target(reconciler, "freepik:a"), .daemonUnavailable("503"), now: 100, unit: 0)
        _ = reconciler.finished(target(reconciler, "freepik:b"), .running("x"), now: 100, unit: 0)
        #expect(reconciler.schedule.due("freepik:a") == 100.5)
        #expect(reads(&reconciler, now: 100.5) == ["freepik:a"])
    }

    @Test func aRefusalIsGivenUpOnceAndNotReadAgainAfterTheNextListing() {
        var reconciler = Reconciler(settings: Self.settings { $0.relistInterval = 1000 })
        _ = reconciler.next(now: 100)
        _ = reconciler.listed([Self.task("a")], now: 100)
        _ = reads(&reconciler, now: 100)
        let refused = SubmitError.refused(status: 401, message: "Invalid API key")
        let notice = reconciler.finished(target(reconciler, "freepik:a"), .providerFailed(refused), now: 100, unit: 0)
        #expect(notice == .gaveUp(key: "freepik:a", reason: refused.description))
        _ = reconciler.listed([Self.task("a")], now: 105)
        #expect(reads(&reconciler, now: 1000) == [])
        #expect(reconciler.gaveUp["freepik:a"] == refused.description)
    }

    @Test func aTaskTheDaemonForgotIsDroppedQuietly() {
        var reconciler = Reconciler(settings: Self.settings())
        _ = reconciler.next(now: 100)
        _ = reconciler.listed([Self.task("a")], now: 100)
        _ = reads(&reconciler, now: 100)
        #expect(
            reconciler.finished(
                target(reconciler, "freepik:a"), .daemonRefused(status: 404, "no task"), now: 100, unit: 0) == nil)
        #expect(reconciler.gaveUp.isEmpty)
        #expect(!reconciler.schedule.contains("freepik:a"))
    }

    @Test func aTaskWithoutAnEndpointIsReportedOnceAndNeverRead() {
        var reconciler = Reconciler(settings: Self.settings { $0.relistInterval = 1000 })
        _ = reconciler.next(now: 100)
        let first = reconciler.listed([Self.task("a", endpoint: nil)], now: 100)
        #expect(
            first == [
                .unpollable(key: "freepik:a", reason: "registered without an endpoint: only its deadline ends it")
            ])
        #expect(reconciler.listed([Self.task("a", endpoint: nil)], now: 105) == [])
        #expect(reads(&reconciler, now: 1000) == [])
    }

    @Test func falTasksWithoutURLsAreReadFromTheQueueURLsUnderTheBaseURL() {
        var reconciler = Reconciler(settings: Self.settings { $0.baseURLs["fal"] = "https://queue.example" })
        _ = reconciler.next(now: 100)
        _ = reconciler.listed([Self.task("r1", provider: "fal", endpoint: "fal/kling-video-v2.5-turbo-pro")], now: 100)
        let task = target(reconciler, "fal:r1").task
        #expect(task.statusURL == "https://queue.example/fal-ai/kling-video/requests/r1/status")
        #expect(task.resultURL == "https://queue.example/fal-ai/kling-video/requests/r1")
    }

    @Test func aRegisteredStatusURLIsUsedAsItIs() {
        var reconciler = Reconciler(settings: Self.settings())
        _ = reconciler.next(now: 100)
        _ = reconciler.listed([Self.task("a", statusURL: Self.base + "/s/a")], now: 100)
        #expect(target(reconciler, "freepik:a").task.statusURL == Self.base + "/s/a")
    }

    @Test func theAggregatorWhichSendsNoCallbacksIsQuietAfterThePollIntervalUnlessToldOtherwise() {
        var settings = Self.settings { $0.defaultQuietPeriod = 60 }
        settings.policy.pollInterval = 5
        #expect(settings.quietPeriod(for: .aggregatorKlingV25TurboPro) == 5)
        #expect(settings.quietPeriod(for: .falKlingV25TurboPro) == 60)
        settings.quietPeriods["aggregator"] = 1
        settings.quietPeriods["fal"] = 2
        #expect(settings.quietPeriod(for: .aggregatorKlingV25TurboPro) == 1)
        #expect(settings.quietPeriod(for: .falKlingV25TurboPro) == 2)
    }

    @Test func onePassReadsWhatIsDueOnceRetriesPassingFailuresAndNamesWhatStayedUnread() {
        var reconciler = Reconciler(settings: Self.settings { $0.once = true })
        #expect(reconciler.next(now: 100) == .list)
        _ = reconciler.listed([Self.task("a"), Self.task("b"), Self.task("fresh", heard: 99)], now: 100)
        #expect(reads(&reconciler, now: 100) == ["freepik:a", "freepik:b"])
        _ = reconciler.finished(target(reconciler, "freepik:a"), .running("x"), now: 100, unit: 0)
        var now = 100.0
        for _ in 0..<3 {
            _ = reconciler.finished(
                target(reconciler, "freepik:b"), .providerFailed(.unreachable("t")), now: now, unit: 0)
            now += 10
            _ = reads(&reconciler, now: now)
        }
        #expect(reconciler.next(now: now) == .finish)
        #expect(reconciler.read == 1)
        #expect(reconciler.unread == ["freepik:b": "the provider cannot be reached: t"])
    }

    @Test func aFailedListingIsTriedAgainAfterABackoffAndEndsAPass() {
        var reconciler = Reconciler(settings: Self.settings())
        #expect(reconciler.next(now: 100) == .list)
        #expect(reconciler.listingFailed("refused", now: 100, unit: 0) == .listingFailed("refused", retryIn: 0.5))
        #expect(reconciler.next(now: 100.4) == .wait(until: 100.5))
        #expect(reconciler.next(now: 100.5) == .list)
        var once = Reconciler(settings: Self.settings { $0.once = true })
        _ = once.next(now: 100)
        #expect(once.listingFailed("refused", now: 100, unit: 0) == .listingFailed("refused", retryIn: nil))
        #expect(once.next(now: 100) == .finish)
    }
}

@Suite struct PollTargetTests {
    @Test func aStatusURLOffTheVendorsHostIsNotReadSoItsKeyGoesNowhereElse() {
        let settings = ReconcilerTests.settings()
        let view = ReconcilerTests.task("a", statusURL: "https://evil.example/collect")
        guard case .failure(let refusal) = PollTarget.make(view, settings: settings) else {
            Issue.record("read a foreign URL")
            return
        }
        #expect(refusal.reason.hasPrefix("its status URL https://evil.example/collect is not under http://sim.test"))
        let same = ReconcilerTests.task("a", statusURL: "HTTP://SIM.test:80/v1/x")
        #expect((try? PollTarget.make(same, settings: settings).get())?.task.statusURL == "HTTP://SIM.test:80/v1/x")
    }

    @Test func withoutABaseURLTheProductionHostIsTheOnlyOneRead() {
        var settings = ReconcileSettings()
        settings.baseURLs["freepik"] = nil
        let view = ReconcilerTests.task("a", statusURL: "https://api.freepik.com/v1/ai/image-to-video/kling-v2/a")
        #expect((try? PollTarget.make(view, settings: settings).get()) != nil)
        let other = ReconcilerTests.task("a", statusURL: "http://127.0.0.1:9/v1/ai/image-to-video/kling-v2/a")
        #expect((try? PollTarget.make(other, settings: settings).get()) == nil)
    }
}
