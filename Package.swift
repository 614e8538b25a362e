// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "taskhook",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "taskhookd", targets: ["taskhookd"]),
        .executable(name: "taskhook", targets: ["taskhook"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-system", from: "1.4.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.0"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
    ],
    targets: [
        // Linux headers that Glibc does not export (epoll, eventfd, signalfd, accept4).
        .target(name: "CLinux"),
        // libsystemd through pkg-config; only TaskhookSystemd may import it.
        .systemLibrary(
            name: "CSystemd",
            pkgConfig: "libsystemd",
            providers: [.apt(["libsystemd-dev"])]
        ),
        // libyaml through pkg-config, the C parser Yams wraps, without Yams's Foundation: only
        // TaskhookYAML may import it (see README, "Why libyaml and not Yams").
        .systemLibrary(
            name: "CYAML",
            pkgConfig: "yaml-0.1",
            providers: [.apt(["libyaml-dev"])]
        ),
        .target(
            name: "TaskhookPosix",
            dependencies: ["CLinux", .product(name: "SystemPackage", package: "swift-system")]
        ),
        .target(name: "TaskhookHTTP", dependencies: ["TaskhookPosix"]),
        // The append-only journal: segments, group commit, recovery, checkpoints, retention.
        .target(name: "TaskhookJournal", dependencies: ["TaskhookPosix"]),
        // The Swift face of libsystemd: notify, watchdog, socket activation, the journal.
        .target(
            name: "TaskhookSystemd",
            dependencies: ["CSystemd", "TaskhookPosix", .product(name: "Logging", package: "swift-log")]
        ),
        // The vocabulary: tasks, their events and statuses, deliveries, JSON. Pure values, no I/O.
        .target(name: "TaskhookCore"),
        // One profile per provider (keys, verifier, normalizer, signer) and the signature schemes they share.
        .target(
            name: "TaskhookProviders",
            dependencies: ["TaskhookCore", .product(name: "Crypto", package: "swift-crypto")]
        ),
        // A configuration file's YAML (libyaml's events) as the Setting tree taskhookd and the actions runner read.
        .target(name: "TaskhookYAML", dependencies: ["CYAML", "TaskhookProviders"]),
        // The seed endpoints' APIs as a local provider: tasks on a clock, signed callbacks, misbehaviour knobs.
        .target(
            name: "TaskhookSimulator",
            dependencies: ["TaskhookCore", "TaskhookProviders", "TaskhookHTTP", "TaskhookPosix"]),
        // Journal replay and the task store: the table, the jobs waiting on tasks, change listeners.
        .target(name: "TaskhookState", dependencies: ["TaskhookCore", "TaskhookJournal", "TaskhookPosix"]),
        .target(
            name: "TaskhookDaemon",
            dependencies: [
                "TaskhookPosix", "TaskhookHTTP", "TaskhookJournal", "TaskhookCore", "TaskhookProviders",
                "TaskhookState",
                "TaskhookSystemd", "TaskhookYAML",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .executableTarget(
            name: "taskhookd",
            dependencies: [
                "TaskhookDaemon", "TaskhookJournal", "TaskhookSystemd",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        // A raw HTTP client, a pthread, a taskhookd launcher and in-process responders, for tests only.
        .target(name: "TestSupport", dependencies: ["TaskhookPosix", "TaskhookHTTP"], path: "Tests/TestSupport"),
        // The command line's side: the control-API client, the waiter, task views, outbound HTTPS.
        .target(
            name: "TaskhookClient",
            dependencies: ["TaskhookCore", "TaskhookPosix", "TaskhookProviders", "TaskhookState"]),
        // Actions when a task ends: their configuration, the runner's schedule and ledger, commands, fetch.
        .target(
            name: "TaskhookActions",
            dependencies: [
                "TaskhookCore", "TaskhookPosix", "TaskhookProviders", "TaskhookClient", "TaskhookYAML",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "taskhook",
            dependencies: [
                "TaskhookClient", "TaskhookSimulator", "TaskhookHTTP", "TaskhookState", "TaskhookJournal",
                "TaskhookProviders", "TaskhookCore", "TaskhookActions", "TaskhookSystemd",
                "TaskhookPosix",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "TaskhookPosixTests", dependencies: ["TaskhookPosix", "TestSupport"]),
        .testTarget(name: "TaskhookHTTPTests", dependencies: ["TaskhookHTTP", "TaskhookPosix", "TestSupport"]),
        .testTarget(name: "TaskhookCoreTests", dependencies: ["TaskhookCore"]),
        .testTarget(
            name: "TaskhookClientTests",
            dependencies: ["TaskhookClient", "TaskhookCore", "TaskhookPosix", "TaskhookState", "TestSupport"]),
        .testTarget(
            name: "TaskhookSimulatorTests", dependencies: ["TaskhookSimulator", "TaskhookProviders", "TaskhookCore"]),
        .testTarget(
            name: "TaskhookActionsTests",
            dependencies: ["TaskhookActions", "TaskhookCore", "TaskhookPosix", "TaskhookProviders", "TestSupport"]),
        .testTarget(
            name: "TaskhookStateTests",
            dependencies: ["TaskhookState", "TaskhookCore", "TaskhookJournal", "TestSupport"]),
        .testTarget(
            name: "TaskhookSystemdTests",
            dependencies: ["TaskhookSystemd", .product(name: "Logging", package: "swift-log")]
        ),
        .testTarget(
            name: "TaskhookProvidersTests", dependencies: ["TaskhookProviders", "TaskhookCore", "TestSupport"]),
        .testTarget(name: "TaskhookYAMLTests", dependencies: ["TaskhookYAML", "TaskhookProviders"]),
        .testTarget(
            name: "TaskhookJournalTests",
            dependencies: ["TaskhookJournal", "TaskhookCore", "TaskhookPosix", "TaskhookState"]),
        .testTarget(
            name: "TaskhookDaemonTests",
            dependencies: [
                "TaskhookDaemon", "TaskhookCore", "TaskhookJournal", "TaskhookPosix", "TaskhookState", "TaskhookHTTP",
                "TestSupport", .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]),
        // Starts the built taskhookd and talks to it over loopback, as a provider would.
        .testTarget(
            name: "EndToEndTests",
            dependencies: [
                "taskhookd", "taskhook", "TaskhookPosix", "TaskhookCore", "TestSupport", "TaskhookClient",
                "TaskhookProviders", "TaskhookSimulator",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            exclude: ["clients"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
