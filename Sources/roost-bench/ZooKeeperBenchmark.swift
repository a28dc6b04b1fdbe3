import ArgumentParser
import Foundation
import ZooKeeperNIO
import ZooKeeperTesting

#if canImport(Glibc)
import Glibc
#endif

/// `roost-bench zookeeper`: the Swift client against the official Java client, same server, same run.
struct ZooKeeperBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "zookeeper",
        abstract: "ZooKeeperNIO against the official Java client: creates and getData, sequential and pipelined.",
        discussion: """
            Starts a standalone ZooKeeper server (Debian's package, full JIT, forceSync off so the disk \
            does not hide the clients), then runs the same phases with each client: creates one at a time, \
            creates with --outstanding requests in flight, then getData of those nodes the same two ways. \
            Clients alternate for --rounds rounds (Swift, Java, Swift, Java, …) so both meet a server as \
            warm; the table shows, per phase, each client's round of median throughput among the rounds \
            after the first (with two rounds, the second; an odd number of measured rounds gives a true \
            median). Client CPU is the client process's own CPU \
            time per operation (the server runs on the same two cores). The Swift callers run on the \
            client's event loop (ZooKeeperClient.taskExecutor), as a user keeping many requests in flight \
            would; --no-event-loop runs them on the cooperative pool.
            """
    )

    @Option(help: "Operations in each sequential phase.")
    var sequential = 5_000

    @Option(help: "Operations in each pipelined phase.")
    var pipelined = 50_000

    @Option(help: "Requests in flight in the pipelined phases.")
    var outstanding = 100

    @Option(help: "Bytes of data per node.")
    var dataSize = 100

    @Option(help: "Warm-up creates and reads per client and round.")
    var warmup = 10_000

    @Option(help: "Rounds; each runs the Swift client, then the Java client. The first warms the server; the table shows the median of the others.")
    var rounds = 2

    @Flag(inversion: .prefixedNo, help: "Also run the Java client (--no-java: only the Swift client, for profiling).")
    var java = true

    @Flag(
        inversion: .prefixedNo,
        help: "Run the Swift client's callers on its event loop (ZooKeeperClient.taskExecutor); --no-event-loop: on the cooperative pool.")
    var eventLoop = true

    @Flag(help: "Print one JSON object instead of a table.")
    var json = false

    /// One phase's figures, for either client.
    struct Phase {
        var name: String
        var operations: Int
        var seconds: Double
        var meanMicroseconds: Double
        var p99Microseconds: Double
        var cpuSeconds: Double
        var perSecond: Double { Double(operations) / seconds }
        var cpuMicrosecondsPerOperation: Double { cpuSeconds * 1_000_000 / Double(operations) }
    }

    func run() async throws {
        let server = try await ZooKeeperServer.start(tickTime: 2000, javaOptions: ["-Xmx1g", "-Dzookeeper.forceSync=no"])
        do {
            var swift: [[Phase]] = []
            var java: [[Phase]] = []
            for round in 1...max(rounds, 1) {
                swift.append(try await swiftPhases(server.connectString, prefix: "/bench-swift-\(round)"))
                if self.java {
                    java.append(try ZooKeeperJavaClient.run(
                        connectString: server.connectString, prefix: "/bench-java-\(round)", sequential: sequential, pipelined: pipelined,
                        outstanding: outstanding, dataSize: dataSize, warmup: warmup))
                }
            }
            await server.stop()
            report(swift: Self.median(of: swift), java: Self.median(of: java))
        } catch {
            await server.stop()
            throw error
        }
    }

    private func swiftPhases(_ connectString: String, prefix: String) async throws -> [Phase] {
        let client = try await ZooKeeperClient.connect(configuration: .init(connectString: connectString))
        let data = [UInt8](repeating: 0, count: dataSize)
        try await client.create(prefix)
        try await client.create(prefix + "/warm")
        _ = try await pipelinedPhase("warm-create", count: warmup, on: client.taskExecutor) { try await client.create("\(prefix)/warm/n\($0)", data: data) }
        _ = try await pipelinedPhase("warm-get", count: warmup, on: client.taskExecutor) { _ = try await client.getData("\(prefix)/warm/n\($0)") }
        let phases = [
            try await sequentialPhase("create-sequential", count: sequential, on: client.taskExecutor) { try await client.create("\(prefix)/s\($0)", data: data) },
            try await pipelinedPhase("create-pipelined", count: pipelined, on: client.taskExecutor) { try await client.create("\(prefix)/p\($0)", data: data) },
            try await sequentialPhase("get-sequential", count: sequential, on: client.taskExecutor) { _ = try await client.getData("\(prefix)/s\($0)") },
            try await pipelinedPhase("get-pipelined", count: pipelined, on: client.taskExecutor) { _ = try await client.getData("\(prefix)/p\($0)") },
        ]
        try await client.close()
        return phases
    }

    private func sequentialPhase(
        _ name: String, count: Int, on executor: any TaskExecutor, _ operation: (Int) async throws -> Void
    ) async throws -> Phase {
        var latencies = [Double](repeating: 0, count: count)
        let clock = ContinuousClock()
        let cpu = processCPUSeconds()
        let start = clock.now
        try await withTaskExecutorPreference(eventLoop ? executor : nil) {
            for index in 0..<count {
                let begin = clock.now
                try await operation(index)
                latencies[index] = begin.duration(to: clock.now).microseconds
            }
        }
        return phase(name, start.duration(to: clock.now), processCPUSeconds() - cpu, latencies)
    }

    /// `outstanding` tasks, each running its share of the operations one after another, so that
    /// `outstanding` requests are in flight at any time.
    private func pipelinedPhase(
        _ name: String, count: Int, on executor: any TaskExecutor, _ operation: @escaping @Sendable (Int) async throws -> Void) async throws -> Phase {
        let clock = ContinuousClock()
        let cpu = processCPUSeconds()
        let start = clock.now
        let workers = min(outstanding, count)
        let latencies = try await withTaskExecutorPreference(eventLoop ? executor : nil) {
            try await withThrowingTaskGroup(of: [Double].self) { group in
                for worker in 0..<workers {
                    group.addTask {
                        var latencies: [Double] = []
                        latencies.reserveCapacity(count / workers + 1)
                        for index in stride(from: worker, to: count, by: workers) {
                            let begin = clock.now
                            try await operation(index)
                            latencies.append(begin.duration(to: clock.now).microseconds)
                        }
                        return latencies
                    }
                }
                return try await group.reduce(into: [Double]()) { $0 += $1 }
            }
        }
        return phase(name, start.duration(to: clock.now), processCPUSeconds() - cpu, latencies)
    }

    private func phase(_ name: String, _ elapsed: Duration, _ cpu: Double, _ latencies: [Double]) -> Phase {
        let sorted = latencies.sorted()
        let p99 = sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int((Double(sorted.count) * 0.99).rounded(.up)) - 1)]
        return Phase(
            name: name, operations: latencies.count, seconds: elapsed.microseconds / 1_000_000,
            meanMicroseconds: latencies.reduce(0, +) / Double(max(latencies.count, 1)), p99Microseconds: p99, cpuSeconds: cpu)
    }

    /// This process's CPU time, user and system (the server is another process).
    private func processCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(Int32(RUSAGE_SELF.rawValue), &usage)
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1_000_000 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    /// Per phase, the round with the median throughput among the rounds after the first (which
    /// warms the server; with one round, that round): on a shared machine one round can meet a
    /// burst of other work, and the median of several is steadier than the last.
    static func median(of rounds: [[Phase]]) -> [Phase] {
        let measured = rounds.count > 1 ? Array(rounds.dropFirst()) : rounds
        guard let first = measured.first else { return [] }
        return first.indices.map { index in
            let sorted = measured.map { $0[index] }.sorted { $0.perSecond < $1.perSecond }
            return sorted[(sorted.count - 1) / 2]
        }
    }

    private func report(swift: [Phase], java: [Phase]) {
        let javaByName = Dictionary(java.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        if json {
            func figures(_ phase: Phase) -> [String: Any] {
                [
                    "operations": phase.operations, "perSecond": phase.perSecond, "meanMicros": phase.meanMicroseconds,
                    "p99Micros": phase.p99Microseconds, "cpuMicrosPerOperation": phase.cpuMicrosecondsPerOperation,
                ]
            }
            let rows: [[String: Any]] = swift.map { phase in
                var row: [String: Any] = ["phase": phase.name, "swift": figures(phase)]
                if let java = javaByName[phase.name] { row["java"] = figures(java) }
                return row
            }
            let object: [String: Any] = ["outstanding": outstanding, "dataSize": dataSize, "rounds": rounds, "phases": rows]
            if let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) {
                print(String(decoding: data, as: UTF8.self))
            }
            return
        }
        func columns(_ phase: Phase?) -> String {
            guard let phase else { return "       (not run)" }
            return "\(pad(Int(phase.perSecond).formatted(), 8)) \(pad(format(phase.meanMicroseconds), 7)) \(pad(format(phase.p99Microseconds), 7)) \(pad(format(phase.cpuMicrosecondsPerOperation), 7))"
        }
        let rounds = rounds > 1 ? "median of rounds 2…\(rounds) (round 1 warms up)" : "one round"
        print("outstanding \(outstanding), \(dataSize) B per node, \(rounds), Swift callers on \(eventLoop ? "the client's event loop" : "the cooperative pool")")
        print("phase                Swift: ops/s  mean µs  p99 µs  cpu µs/op  |  Java: ops/s  mean µs  p99 µs  cpu µs/op")
        for phase in swift {
            print("\(phase.name.padding(toLength: 20, withPad: " ", startingAt: 0))  \(columns(phase))      |  \(columns(javaByName[phase.name]))")
        }
    }

    private func format(_ value: Double) -> String { String(format: "%.0f", value) }
    private func pad(_ text: String, _ width: Int) -> String { String(repeating: " ", count: max(0, width - text.count)) + text }
}

extension Duration {
    fileprivate var microseconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) * 1_000_000 + Double(attoseconds) / 1_000_000_000_000
    }
}
