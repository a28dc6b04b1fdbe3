// swift-tools-version: 6.2
import PackageDescription

let package = Package(
    name: "{{command}}",
    products: [
        .library(name: "{{module}}", targets: ["{{module}}"]),
        .executable(name: "{{command}}", targets: ["{{module}}App"]),
    ],
    dependencies: [
        // Roost, by path (chosen by `roost new`); change it if that checkout moves.
        .package(path: "{{{roostPath}}}"),
    ],
    targets: [
        // The framework: its scheduler, usable on any Roost cluster.
        .target(
            name: "{{module}}",
            dependencies: [
                .product(name: "RoostCore", package: "{{roostPackage}}"),
                .product(name: "RoostService", package: "{{roostPackage}}"),
            ]
        ),
        // `swift run {{command}}`: the scheduler on an embedded cluster (a master and agents in this process).
        .executableTarget(
            name: "{{module}}App",
            dependencies: [
                "{{module}}",
                .product(name: "RoostCore", package: "{{roostPackage}}"),
                .product(name: "RoostService", package: "{{roostPackage}}"),
                .product(name: "RoostCluster", package: "{{roostPackage}}"),
            ]
        ),
        // The scheduler's decisions, checked on a simulated cluster in virtual time.
        .testTarget(
            name: "{{module}}Tests",
            dependencies: [
                "{{module}}",
                .product(name: "RoostCore", package: "{{roostPackage}}"),
                .product(name: "RoostService", package: "{{roostPackage}}"),
                .product(name: "RoostTesting", package: "{{roostPackage}}"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
