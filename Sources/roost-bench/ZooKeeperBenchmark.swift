import ArgumentParser
import Foundation
import ZooKeeperNIO
import ZooKeeperTesting

/// `roost-bench zookeeper`: the Swift client against the official Java client, same server, same run.
struct ZooKeeperBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "zookeeper",
        abstract: "ZooKeeperNIO against the official Java client: creates and getData, sequential and pipelined.",
        discussion: """
            Starts a standalone ZooKeeper server (Debian's package, full JIT, forceSync off so the disk \
            does not hide the clients), then runs the same phases with each client: creates one at a time, \
            creates with --outstanding requests in flight, then getData of those nodes the same two ways. \
            Each client first warms up (and warms the server) with --warmup creates and reads.
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

    @Option(help: "Warm-up creates and reads per client.")
    var warmup = 20_000

    @Flag(help: "Print one JSON object instead of a table.")
    var json = false

    struct Phase {
        var name: String
        var operations: Int
        var seconds: Double
        var meanMicroseconds: Double
        var p99Microseconds: Double
        var perSecond: Double { Double(operations) / seconds }
    }

    func run() async throws {
        let server = try await ZooKeeperServer.start(tickTime: 2000, javaOptions: ["-Xmx1g", "-Dzookeeper.forceSync=no"])
        do {
            let swift = try await swiftPhases(server.connectString)
            let java = try ZooKeeperJavaClient.run(
                connectString: server.connectString, prefix: "/bench-java", sequential: sequential, pipelined: pipelined,
                outstanding: outstanding, dataSize: dataSize, warmup: warmup)
            await server.stop()
            report(swift: swift, java: java)
        } catch {
            await server.stop()
            throw error
        }
    }

    private func swiftPhases(_ connectString: String) async throws -> [Phase] {
        let client = try await ZooKeeperClient.connect(configuration: .init(connectString: connectString))
        let data = [UInt8](repeating: 0, count: dataSize)
        try await client.create("/bench-swift")
        try await client.create("/bench-swift/warm")
        _ = try await pipelinedPhase("warm-create", count: warmup) { try await client.create("/bench-swift/warm/n\($0)", data: data) }
        _ = try await pipelinedPhase("warm-get", count: warmup) { _ = try await client.getData("/bench-swift/warm/n\($0)") }
        let phases = [
            try await sequentialPhase("create-sequential", count: sequential) { try await client.create("/bench-swift/s\($0)", data: data) },
            try await pipelinedPhase("create-pipelined", count: pipelined) { try await client.create("/bench-swift/p\($0)", data: data) },
            try await sequentialPhase("get-sequential", count: sequential) { _ = try await client.getData("/bench-swift/s\($0)") },
            try await pipelinedPhase("get-pipelined", count: pipelined) { _ = try await client.getData("/bench-swift/p\($0)") },
        ]
        try await client.close()
        return phases
    }

    private func sequentialPhase(_ name: String, count: Int, _ operation: (Int) async throws -> Void) async throws -> Phase {
        var latencies = [Double](repeating: 0, count: count)
        let clock = ContinuousClock()
        let start = clock.now
        for index in 0..<count {
            let begin = clock.now
            try await operation(index)
            latencies[index] = begin.duration(to: clock.now).microseconds
        }
        return phase(name, start.duration(to: clock.now), latencies)
    }

    /// `outstanding` tasks, each running its share of the operations one after another, so that
    /// `outstanding` requests are in flight at any time.
    private func pipelinedPhase(_ name: String, count: Int, _ operation: @escaping @Sendable (Int) async throws -> Void) async throws -> Phase {
        let clock = ContinuousClock()
        let start = clock.now
        let workers = min(outstanding, count)
        let latencies = try await withThrowingTaskGroup(of: [Double].self) { group in
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
        return phase(name, start.duration(to: clock.now), latencies)
    }

    private func phase(_ name: String, _ elapsed: Duration, _ latencies: [Double]) -> Phase {
        let sorted = latencies.sorted()
        let p99 = sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int((Double(sorted.count) * 0.99).rounded(.up)) - 1)]
        return Phase(
            name: name, operations: latencies.count, seconds: elapsed.microseconds / 1_000_000,
            meanMicroseconds: latencies.reduce(0, +) / Double(max(latencies.count, 1)), p99Microseconds: p99)
    }

    private func report(swift: [Phase], java: [ZooKeeperJavaClient.Phase]) {
        let javaByName = Dictionary(java.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        if json {
            let rows: [[String: Any]] = swift.map { phase in
                var row: [String: Any] = [
                    "phase": phase.name, "operations": phase.operations, "swiftPerSecond": phase.perSecond,
                    "swiftMeanMicros": phase.meanMicroseconds, "swiftP99Micros": phase.p99Microseconds,
                ]
                if let java = javaByName[phase.name] {
                    row["javaPerSecond"] = Double(phase.operations) / java.seconds
                    row["javaMeanMicros"] = java.meanMicroseconds
                    row["javaP99Micros"] = java.p99Microseconds
                }
                return row
            }
            let object: [String: Any] = ["outstanding": outstanding, "dataSize": dataSize, "phases": rows]
            if let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) {
                print(String(decoding: data, as: UTF8.self))
            }
            return
        }
        print("phase (outstanding \(outstanding), \(dataSize) B)   Swift ops/s   mean µs   p99 µs  |  Java ops/s   mean µs   p99 µs")
        for phase in swift {
            let java = javaByName[phase.name]
            let javaColumns = java.map {
                "\(pad(Int(Double(phase.operations) / $0.seconds).formatted(), 10))  \(pad(format($0.meanMicroseconds), 8))  \(pad(format($0.p99Microseconds), 7))"
            } ?? "(missing)"
            print("\(phase.name.padding(toLength: 32, withPad: " ", startingAt: 0)) \(pad(Int(phase.perSecond).formatted(), 11))  \(pad(format(phase.meanMicroseconds), 8))  \(pad(format(phase.p99Microseconds), 7))  |  \(javaColumns)")
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
