import ArgumentParser

/// `roost-bench`: Roost's benchmarks. Run in release mode:
/// `swift run -c release roost-bench allocator`.
@main
struct RoostBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "roost-bench",
        abstract: "Roost's benchmarks (build with -c release; figures in docs/performance.md).",
        subcommands: [AllocatorBenchmark.self, RuntimeBenchmark.self, SimulationBenchmark.self, ZooKeeperBenchmark.self, ElectionBenchmark.self, JournalBenchmark.self]
    )
}
