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
        .executable(name: "roost", targets: ["roost"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // Vocabulary and the four protocols. No I/O beyond the file-backed state store.
        .target(name: "RoostCore", swiftSettings: upcoming),
        .executableTarget(
            name: "roost",
            dependencies: [
                "RoostCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: upcoming
        ),
        .testTarget(
            name: "RoostCoreTests",
            dependencies: ["RoostCore", "StateStoreCrashWriter"],
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
