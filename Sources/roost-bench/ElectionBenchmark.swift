import ArgumentParser
import Foundation
import RoostCoordination
import RoostCore
import Synchronization
import ZooKeeperNIO
import ZooKeeperTesting

/// `roost-bench election`: how long a graceful handover takes with the ZooKeeper elector.
struct ElectionBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "election",
        abstract: "ZooKeeperLeaderElector: time from the leader's resign() to the successor's .elected.",
        discussion: """
            Starts a standalone ZooKeeper server on loopback and --candidates electors, each with its \
            own session. Each round the leader resigns (.lost, delete its node, close its session); \
            the round's time runs from the resign() call until the successor's stream delivers \
            .elected. The resigned candidate then campaigns again at the back.
            """
    )

    @Option(help: "Candidates campaigning.")
    var candidates = 3

    @Option(help: "Handovers measured.")
    var rounds = 100

    @Option(help: "Handovers before measuring.")
    var warmup = 10

    func validate() throws {
        guard candidates >= 2 else { throw ValidationError("--candidates must be at least 2") }
        guard rounds >= 1 else { throw ValidationError("--rounds must be at least 1") }
    }

    func run() async throws {
        try await ZooKeeperServer.withServer { server in
            var client = ZooKeeperClient.Configuration(connectString: server.connectString)
            client.sessionTimeout = .seconds(4)
            let electors = (0..<candidates).map { _ in
                ZooKeeperLeaderElector(configuration: .init(client: client, electionPath: "/bench/leader"))
            }
            let elected = ElectedTimes()  // candidate -> last .elected delivery
            var consumers: [Task<Void, Never>] = []
            func campaign(_ index: Int) async throws {
                let events = try await electors[index].campaign(as: MasterInfo(id: MasterID("bench-\(index)"), hostname: "bench"))
                consumers.append(Task {
                    for await event in events {
                        if case .elected = event { elected.times.withLock { $0[index] = .now } }
                    }
                })
            }
            for index in electors.indices { try await campaign(index) }
            func waitForLeader(after start: ContinuousClock.Instant, excluding previous: Int?) async throws -> (Int, ContinuousClock.Instant) {
                let deadline = ContinuousClock.now + .seconds(30)
                while ContinuousClock.now < deadline {
                    let found = elected.times.withLock { $0.first { $0.key != previous && $0.value >= start } }
                    if let found { return (found.key, found.value) }
                    try await Task.sleep(for: .microseconds(200))
                }
                throw ValidationError("no leader within 30 s")
            }
            var (leader, _) = try await waitForLeader(after: .now - .seconds(60), excluding: nil)
            var samples: [Double] = []
            for round in 0..<(warmup + rounds) {
                let start = ContinuousClock.now
                await electors[leader].resign()
                let (next, at) = try await waitForLeader(after: start, excluding: leader)
                if round >= warmup { samples.append(Double((at - start).components.attoseconds) / 1e15 + Double((at - start).components.seconds) * 1000) }
                try await campaign(leader)
                leader = next
            }
            for elector in electors { await elector.resign() }
            for consumer in consumers { await consumer.value }
            samples.sort()
            func percentile(_ p: Double) -> Double { samples[min(samples.count - 1, Int(Double(samples.count) * p))] }
            print("election handover, \(candidates) candidates, \(rounds) rounds (ms): "
                + String(format: "median %.2f  p90 %.2f  p99 %.2f  max %.2f", percentile(0.5), percentile(0.9), percentile(0.99), samples.last!))
        }
    }
}

/// When each candidate's stream last delivered `.elected`.
final class ElectedTimes: Sendable {
    let times = Mutex<[Int: ContinuousClock.Instant]>([:])
}
