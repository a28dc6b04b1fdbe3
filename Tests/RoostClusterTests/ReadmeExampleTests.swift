import Foundation
import RoostCluster
import RoostCore
import RoostMaster
import RoostTesting
import Testing

// The README's example scheduler, word for word (checked below), run on a real embedded cluster.

actor EchoScheduler: Scheduler {
    private var pending = (0..<10).map { TaskID("echo-\($0)") }
    private var finished = 0
    private let need: Resources = "cpus:0.1;mem:32"

    func resourceOffers(_ driver: any SchedulerDriver, offers: [Offer]) async throws {
        for offer in offers {
            var left = offer.resources
            var tasks: [TaskInfo] = []
            while let id = pending.first, left.contains(need) {
                tasks.append(TaskInfo(id: id, resources: need, command: .shell("echo hello from \(id)")))
                left -= need
                pending.removeFirst()
            }
            try await driver.launch(tasks, on: offer)   // whatever is unused is declined
        }
        if pending.isEmpty { try await driver.suppress() }
    }

    func statusUpdate(_ driver: any SchedulerDriver, status: TaskStatus) async throws {
        switch status.state {
        case .finished:
            finished += 1
            if finished == 10 { await driver.stop(failover: false) }   // done: LocalCluster.run returns
        case .failed:
            pending.append(status.taskID)
            try await driver.revive()
        default:
            break
        }
    }
}

// The README's test of it on the simulated cluster, word for word (checked below).

@Test func echoRunsTenTasksThenTearsDown() async throws {
    let cluster = SimulatedCluster(configuration: .init(defaultBehavior: .finish(after: .seconds(5))))
    await cluster.addAgents(2, resources: "cpus:1;mem:256")
    let driver = try await cluster.connect(EchoScheduler(), as: FrameworkInfo(name: "echo"))
    let echo = try #require(driver.frameworkID)

    await cluster.advance(by: .seconds(5))   // virtual time: returns at once
    #expect(await cluster.counters(of: echo).tasksLaunched == 10)
    #expect(await cluster.snapshot().frameworks.isEmpty)   // it stopped its driver when done
}

@Suite(.timeLimit(.minutes(1)))
struct ReadmeExampleTests {
    @Test func theReadmeSchedulerRunsToCompletion() async throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("roost-readme-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: work) }
        let cluster = LocalCluster(configuration: .init(
            agents: 2, agentResources: "cpus:1;mem:256", workDirectory: work,
            master: .init(state: .init(allocationInterval: .milliseconds(20)))))
        // Returns once the scheduler stops its driver after ten tasks finished.
        try await cluster.run(EchoScheduler(), as: FrameworkInfo(name: "echo"))
        let outputs = try FileManager.default.subpathsOfDirectory(atPath: work).filter { $0.hasSuffix("/stdout") }
        let text = try outputs.map { try String(contentsOfFile: "\(work)/\($0)", encoding: .utf8) }.joined()
        #expect(outputs.count == 10)
        #expect(text.contains("hello from echo-9"))
    }

    @Test func theReadmeShowsThisCode() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        let source = try String(contentsOf: URL(fileURLWithPath: #filePath), encoding: .utf8)
        let start = try #require(readme.range(of: "```swift\nimport RoostCore\n\n"))
        let end = try #require(readme.range(of: "```", range: start.upperBound..<readme.endIndex))
        #expect(source.contains(String(readme[start.upperBound..<end.lowerBound])), "the EchoScheduler in README.md differs from this file's")
    }

    @Test func theReadmeShowsThisTest() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        let source = try String(contentsOf: URL(fileURLWithPath: #filePath), encoding: .utf8)
        let start = try #require(readme.range(of: "```swift\n@Test func echoRunsTenTasksThenTearsDown"))
        let end = try #require(readme.range(of: "```", range: start.upperBound..<readme.endIndex))
        let shown = String(readme[readme.index(start.lowerBound, offsetBy: "```swift\n".count)..<end.lowerBound])
        #expect(source.contains(shown), "the simulated-cluster test in README.md differs from this file's")
    }
}
