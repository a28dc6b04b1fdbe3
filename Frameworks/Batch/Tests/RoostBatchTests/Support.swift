import Foundation
import Logging
import RoostAgent
import RoostBatch
import RoostCluster
import RoostCore
import RoostMaster
import RoostTesting
import Synchronization
import Testing

extension Tag {
    /// Runs real processes on an embedded cluster (a few seconds each).
    @Tag static var cluster: Self
}

/// A fresh folder under the temporary directory for one test.
func temporaryFolder(_ name: String = #function) throws -> String {
    let safe = name.filter { $0.isLetter || $0.isNumber }
    let path = "\(NSTemporaryDirectory())roost-batch-\(safe)-\(UUID().uuidString.prefix(8))"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// A `SchedulerDriver` that records every call the batch scheduler makes, then forwards it.
final class RecordingDriver: SchedulerDriver, Sendable {
    let inner: any SchedulerDriver
    private let calls = Mutex<[SchedulerCall.Kind]>([])

    init(_ inner: any SchedulerDriver) { self.inner = inner }

    var frameworkID: FrameworkID? { get async { await inner.frameworkID } }

    func send(_ call: SchedulerCall.Kind) async throws(SchedulerDriverError) {
        calls.withLock { $0.append(call) }
        try await inner.send(call)
    }

    func stop(failover: Bool) async { await inner.stop(failover: failover) }

    var recorded: [SchedulerCall.Kind] { calls.withLock { $0 } }

    /// The tasks of each accept call, in order (empty for a pure decline).
    var launchesPerAccept: [[TaskInfo]] {
        recorded.compactMap { call in
            guard case .accept(_, let operations, _) = call else { return nil }
            return operations.flatMap { operation -> [TaskInfo] in
                if case .launch(let tasks) = operation { return tasks }
                return []
            }
        }
    }
}

/// Sits between the driver and a ``BatchScheduler``: records status updates (to measure how
/// many tasks ran at once) and hands the scheduler a ``RecordingDriver``.
actor Recorder: Scheduler {
    let inner: BatchScheduler
    private var recordingDriver: RecordingDriver?
    private var live: Set<TaskID> = []
    private(set) var maxLive = 0
    private(set) var updates: [TaskStatus] = []

    init(_ inner: BatchScheduler) { self.inner = inner }

    var driver: RecordingDriver? { recordingDriver }

    private func wrap(_ driver: any SchedulerDriver) -> RecordingDriver {
        if let recordingDriver { return recordingDriver }
        let wrapped = RecordingDriver(driver)
        recordingDriver = wrapped
        return wrapped
    }

    func registered(_ driver: any SchedulerDriver, frameworkID: FrameworkID, master: MasterInfo) async throws {
        try await inner.registered(wrap(driver), frameworkID: frameworkID, master: master)
    }

    func reregistered(_ driver: any SchedulerDriver, master: MasterInfo) async throws {
        try await inner.reregistered(wrap(driver), master: master)
    }

    func resourceOffers(_ driver: any SchedulerDriver, offers: [Offer]) async throws {
        try await inner.resourceOffers(wrap(driver), offers: offers)
    }

    func statusUpdate(_ driver: any SchedulerDriver, status: TaskStatus) async throws {
        updates.append(status)
        if status.state.isTerminal || status.state == .unknown {
            live.remove(status.taskID)
        } else if status.state == .starting || status.state == .running {
            live.insert(status.taskID)
            maxLive = max(maxLive, live.count)
        }
        try await inner.statusUpdate(wrap(driver), status: status)
    }
}

/// An embedded cluster for batch tests: small agents with fixed resources and attributes.
struct TestCluster {
    var agents = 2
    var agentResources: Resources = "cpus:1;mem:1024"
    var attributes: @Sendable (Int) -> [String: String] = { _ in [:] }

    /// Runs `body` on a started cluster; every process is stopped when it returns.
    func run<T: Sendable>(_ body: @Sendable (LocalCluster.Running) async throws -> T) async throws -> T {
        let work = try temporaryFolder("cluster")
        var logger = Logger(label: "roost.local.test")
        logger.logLevel = .warning
        let cluster = LocalCluster(configuration: .init(
            agents: agents, agentResources: agentResources, agentAttributes: attributes,
            workDirectory: work, statusUpdateRetry: .milliseconds(200), logger: logger))
        return try await cluster.run(body)
    }
}

extension LocalCluster.Running {
    /// Each agent's work directory (`<work>/agent-<i>`), by agent ID.
    func agentDirectories() async -> [AgentID: String] {
        var directories: [AgentID: String] = [:]
        for (index, agent) in agents.enumerated() {
            if let id = await agent.agentID { directories[id] = "\(workDirectory)/agent-\(index)" }
        }
        return directories
    }

    /// The index of each agent, by agent ID.
    func agentIndexes() async -> [AgentID: Int] {
        var indexes: [AgentID: Int] = [:]
        for (index, agent) in agents.enumerated() {
            if let id = await agent.agentID { indexes[id] = index }
        }
        return indexes
    }

    /// A batch scheduler for this cluster (sandbox paths absolute), with its store and time.
    func batchScheduler(store: any StateStore = InMemoryStateStore(), time: FrameworkTime = .system) async throws -> BatchScheduler {
        var logger = Logger(label: "roost.batch.test")
        logger.logLevel = .warning
        return try await BatchScheduler(configuration: .init(
            store: store, time: time, declineFilter: .seconds(1), agentWorkDirectories: await agentDirectories(), logger: logger))
    }

    /// Runs `scheduler` (through a ``Recorder``) with its timers while `body` runs, then stops
    /// its driver: torn down, or left for a new scheduler when `failover` is set.
    func withScheduler<T: Sendable>(
        _ scheduler: BatchScheduler, failover: Bool = false, _ body: @Sendable (Recorder) async throws -> T
    ) async throws -> T {
        let driver = driver(for: await scheduler.frameworkInfo)
        let recorder = Recorder(scheduler)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await scheduler.run { _ in try await driver.run(recorder) } }
            do {
                let result = try await body(recorder)
                await driver.stop(failover: failover)
                do {
                    try await group.waitForAll()
                } catch let error as SchedulerDriverError where error.code == .failedOver && !failover {
                    // The teardown's "framework removed" event can reach the driver's loop before
                    // `stop` marks the driver stopped; the driver then reports it. We asked for it.
                }
                return result
            } catch {
                await driver.stop(failover: false)
                group.cancelAll()
                throw error
            }
        }
    }
}

/// How long a test waits for something that involves real processes on the embedded
/// cluster: generous, since the suite runs tests in parallel on two shared cores (a passing
/// wait returns as soon as its condition holds).
let clusterWait = Duration.seconds(60)

/// Waits until `job` is finished on `scheduler` and returns its status.
@discardableResult
func waitUntilFinished(_ job: String, on scheduler: BatchScheduler, timeout: Duration = clusterWait) async throws -> JobStatus {
    try await waitUntil("job \(job) finished", timeout: timeout) { await scheduler.status(of: job)?.isFinished == true }
    return try #require(await scheduler.status(of: job))
}

/// Waits until `job` on `scheduler` satisfies `condition`, naming `what` on timeout.
func waitFor(_ what: String, job: String, on scheduler: BatchScheduler, _ condition: @escaping (JobStatus) -> Bool) async throws {
    try await waitUntil("job \(job): \(what)", timeout: clusterWait) {
        guard let status = await scheduler.status(of: job) else { return false }
        return condition(status)
    }
}

/// A manual clock and the batch time on it, starting at a fixed wall-clock moment.
func manualTime() -> (ManualClock, FrameworkTime) {
    let clock = ManualClock()
    return (clock, FrameworkTime(clock, origin: clock.now, at: Timestamp(secondsSinceEpoch: 1_800_000_000)))
}
