// swift-tools-version: 6.2
import PackageDescription

/// Upcoming features the newest Apple server packages enable (see STYLE.md).
let upcoming: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "Roost",
    products: [
        .library(name: "RoostCore", targets: ["RoostCore"]),
        .library(name: "RoostAllocators", targets: ["RoostAllocators"]),
        .library(name: "RoostMaster", targets: ["RoostMaster"]),
        .library(name: "RoostAgent", targets: ["RoostAgent"]),
        .library(name: "RoostCoordination", targets: ["RoostCoordination"]),
        .library(name: "RoostCluster", targets: ["RoostCluster"]),
        .library(name: "RoostTesting", targets: ["RoostTesting"]),
        .library(name: "RoostCron", targets: ["RoostCron"]),
        .library(name: "RoostBatch", targets: ["RoostBatch"]),
        .library(name: "RoostService", targets: ["RoostService"]),
        .library(name: "ZooKeeperNIO", targets: ["ZooKeeperNIO"]),
        .library(name: "ZooKeeperTesting", targets: ["ZooKeeperTesting"]),
        .executable(name: "roost", targets: ["roost"]),
        .executable(name: "roost-bench", targets: ["roost-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        // Vocabulary and the four protocols. No I/O beyond the file-backed state store.
        .target(name: "RoostCore", swiftSettings: upcoming),
        // The allocation engine (mechanism) and the DRF, FIFO and priority policies: pure, synchronous.
        .target(
            name: "RoostAllocators",
            dependencies: ["RoostCore", .product(name: "HeapModule", package: "swift-collections")],
            swiftSettings: upcoming
        ),
        // Leader electors (static now; ZooKeeper with the coordination issue).
        .target(
            name: "RoostCoordination",
            dependencies: [
                "RoostCore", "ZooKeeperNIO", .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: upcoming
        ),
        // The master runtime: frameworks, agents, tasks and offers, gated by a leader elector.
        .target(
            name: "RoostMaster",
            dependencies: [
                "RoostCore", "RoostAllocators",
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: upcoming
        ),
        // What the agent needs from libc beyond Swift's Glibc module: posix_spawn's GNU file actions, pidfds, epoll.
        .target(name: "CRoostSpawn"),
        // The agent runtime: executors, real processes in sandboxes, status updates until acknowledged.
        .target(
            name: "RoostAgent",
            dependencies: [
                "RoostCore", "CRoostSpawn",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: upcoming
        ),
        // The embedded cluster: a master, its agents and frameworks in one process.
        .target(
            name: "RoostCluster",
            dependencies: ["RoostCore", "RoostAllocators", "RoostMaster", "RoostAgent", "RoostCoordination", .product(name: "Logging", package: "swift-log")],
            swiftSettings: upcoming
        ),
        // The cron framework: schedule expressions and the scheduler that launches batch runs.
        .target(
            name: "RoostCron",
            dependencies: ["RoostCore", "RoostBatch", .product(name: "Yams", package: "Yams"), .product(name: "Logging", package: "swift-log")],
            path: "Frameworks/Cron/Sources/RoostCron",
            swiftSettings: upcoming
        ),
        // The batch framework: job specs, the scheduler that runs them to completion, job status.
        .target(
            name: "RoostBatch",
            dependencies: ["RoostCore", .product(name: "Yams", package: "Yams"), .product(name: "Logging", package: "swift-log")],
            path: "Frameworks/Batch/Sources/RoostBatch",
            swiftSettings: upcoming
        ),
        // The service framework: long-running services kept healthy, rolling deployments, placement.
        .target(
            name: "RoostService",
            dependencies: ["RoostCore", .product(name: "Yams", package: "Yams"), .product(name: "Logging", package: "swift-log")],
            path: "Frameworks/Service/Sources/RoostService",
            swiftSettings: upcoming
        ),
        // A ZooKeeper client on SwiftNIO (the jute wire protocol), usable without the rest of Roost.
        .target(
            name: "ZooKeeperNIO",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: upcoming
        ),
        // Starts real ZooKeeper servers (standalone or an ensemble) on loopback for tests.
        .target(name: "ZooKeeperTesting", swiftSettings: upcoming),
        // What framework and plugin authors use in their own tests: conformance suites, simulation.
        .target(
            name: "RoostTesting",
            dependencies: ["RoostCore", "RoostAllocators", "RoostMaster",
                .product(name: "DequeModule", package: "swift-collections"), .product(name: "HeapModule", package: "swift-collections"),
            ],
            swiftSettings: upcoming
        ),
        .executableTarget(
            name: "roost-bench",
            dependencies: [
                "RoostCore", "RoostAllocators", "RoostMaster", "RoostAgent", "RoostCluster", "RoostCoordination", "RoostTesting", "ZooKeeperNIO", "ZooKeeperTesting",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: upcoming
        ),
        .executableTarget(
            name: "roost",
            dependencies: [
                "RoostCore", "RoostAllocators", "RoostMaster", "RoostAgent", "RoostCluster", "RoostCron", "RoostBatch", "RoostService", "RoostTesting", "RoostCoordination", "ZooKeeperNIO",
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: upcoming
        ),
        .testTarget(name: "RoostMasterTests", dependencies: ["RoostCore", "RoostAllocators", "RoostMaster", "RoostCoordination", "RoostTesting"], swiftSettings: upcoming),
        .testTarget(
            name: "RoostAgentTests",
            dependencies: ["RoostCore", "RoostAgent", "RoostTesting", .product(name: "Logging", package: "swift-log")],
            swiftSettings: upcoming
        ),
        // Runs the built `roost` binary as a user would.
        .testTarget(name: "RoostCLITests", dependencies: ["roost", "RoostTesting", "ZooKeeperTesting"], swiftSettings: upcoming),
        .testTarget(
            name: "RoostClusterTests",
            dependencies: ["RoostCore", "RoostAllocators", "RoostMaster", "RoostAgent", "RoostCoordination", "RoostCluster", "RoostTesting"],
            swiftSettings: upcoming
        ),
        .testTarget(
            name: "RoostAllocatorsTests",
            dependencies: ["RoostCore", "RoostAllocators", "RoostTesting"],
            swiftSettings: upcoming
        ),
        .testTarget(
            name: "RoostBatchTests",
            dependencies: ["RoostBatch", "RoostCore", "RoostCluster", "RoostMaster", "RoostAgent", "RoostTesting", .product(name: "Logging", package: "swift-log")],
            path: "Frameworks/Batch/Tests/RoostBatchTests",
            swiftSettings: upcoming
        ),
        .testTarget(
            name: "RoostCronTests",
            dependencies: ["RoostCron", "RoostBatch", "RoostCore", "RoostCluster", "RoostMaster", "RoostAgent", "RoostTesting", .product(name: "Logging", package: "swift-log")],
            path: "Frameworks/Cron/Tests/RoostCronTests",
            swiftSettings: upcoming
        ),
        .testTarget(
            name: "RoostServiceTests",
            dependencies: ["RoostService", "RoostCore", "RoostCluster", "RoostMaster", "RoostAgent", "RoostTesting", .product(name: "Logging", package: "swift-log")],
            path: "Frameworks/Service/Tests/RoostServiceTests",
            swiftSettings: upcoming
        ),
        .testTarget(name: "RoostTestingTests", dependencies: ["RoostCore", "RoostTesting"], swiftSettings: upcoming),
        .testTarget(
            name: "RoostCoordinationTests",
            dependencies: ["RoostCoordination", "RoostCore", "ZooKeeperNIO", "ZooKeeperTesting", "RoostTesting"],
            swiftSettings: upcoming
        ),
        .testTarget(
            name: "ZooKeeperNIOTests",
            dependencies: ["ZooKeeperNIO", "ZooKeeperTesting", "RoostTesting", .product(name: "NIOPosix", package: "swift-nio")],
            swiftSettings: upcoming
        ),
        .testTarget(
            name: "RoostCoreTests",
            dependencies: ["RoostCore", "RoostTesting", "StateStoreCrashWriter"],
            swiftSettings: upcoming
        ),
        // A child process for the crash-safety test of FileStateStore: it writes in a loop until killed.
        .executableTarget(
            name: "StateStoreCrashWriter",
            dependencies: ["RoostCore"],
            path: "Tests/StateStoreCrashWriter",
            swiftSettings: upcoming
        ),
    ],
    swiftLanguageModes: [.v6]
)
