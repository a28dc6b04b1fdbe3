import Foundation
import Logging
import RoostCluster
import RoostCore
import RoostMaster
import RoostService
import RoostTesting
import Testing

extension Tag {
    /// Runs real processes on an embedded cluster (a few seconds each).
    @Tag static var cluster: Self
}

/// The wall-clock moment virtual time zero stands for.
let origin = Timestamp(secondsSinceEpoch: 1_800_000_000)

func quietLogger(_ label: String) -> Logger {
    var logger = Logger(label: label)
    logger.logLevel = .warning
    return logger
}

/// A simulated cluster on virtual time and service schedulers on its clock.
struct Simulation {
    let cluster: SimulatedCluster
    let time: FrameworkTime
    let store: any StateStore

    /// A cluster whose tasks follow `behavior` (by task), running forever by default.
    init(behavior: @escaping @Sendable (TaskInfo) -> TaskBehavior? = { _ in nil }) {
        cluster = SimulatedCluster(configuration: .init(behavior: { _, task in behavior(task) }, defaultBehavior: .runForever))
        time = FrameworkTime(cluster.clock, origin: cluster.clock.now, at: origin)
        store = InMemoryStateStore()
    }

    /// Adds `count` agents, each with `attributes(i)` and room for ten small instances and ports.
    @discardableResult
    func addAgents(_ count: Int, resources: Resources = "cpus:1;mem:1024;ports:[31000-31099]", attributes: (Int) -> [String: String] = { _ in [:] }) async -> [AgentID] {
        var ids: [AgentID] = []
        for index in 0..<count {
            ids.append(await cluster.addAgent(hostname: "host-\(index)", resources: resources, attributes: attributes(index)))
        }
        return ids
    }

    /// A scheduler on the cluster's clock and the shared store (not connected yet).
    func scheduler() async throws -> ServiceScheduler {
        let cluster = self.cluster
        return try await ServiceScheduler(configuration: .init(
            store: store, time: time, declineFilter: .seconds(1),
            explain: { id in await cluster.explain(id) }, logger: quietLogger("roost.service.test")))
    }

    /// Connects `scheduler` to the cluster.
    @discardableResult
    func connect(_ scheduler: ServiceScheduler) async throws -> SimulatedSchedulerDriver {
        try await cluster.connect(scheduler, as: await scheduler.frameworkInfo)
    }

    /// Moves virtual time on in `step`s, letting `scheduler` act on its timers after each,
    /// until `condition` holds; records an issue naming `what` if it does not within `limit`.
    func run(
        _ scheduler: ServiceScheduler, until what: String, step: Duration = .milliseconds(250), limit: Duration = .seconds(600),
        afterEachStep check: (ServiceScheduler) async -> Void = { _ in },
        _ condition: (ServiceScheduler) async -> Bool
    ) async {
        let end = await cluster.now + limit
        while await cluster.now < end {
            if await condition(scheduler) { return }
            await cluster.advance(by: step)
            await scheduler.runDue()
            await check(scheduler)
        }
        if await condition(scheduler) { return }
        Issue.record("not within \(limit) of virtual time: \(what)")
    }

    /// Moves virtual time on by `duration` in `step`s, letting `scheduler` act after each.
    func pass(_ duration: Duration, with scheduler: ServiceScheduler, step: Duration = .milliseconds(250)) async {
        let end = await cluster.now + duration
        while await cluster.now < end {
            await cluster.advance(by: step)
            await scheduler.runDue()
        }
    }

    /// The current virtual time as a wall-clock timestamp.
    var now: Timestamp { time.now }
}

/// `count` services' worth of instances, by state, from `status`.
extension ServiceStatus {
    /// The live instances' task IDs, in launch order.
    var taskIDs: [TaskID] { instanceList.map(\.taskID) }
}

/// A folder under the temporary directory for one test, removed by `cleanup`.
func temporaryFolder(_ name: String = #function) throws -> String {
    let safe = name.filter { $0.isLetter || $0.isNumber }
    let path = "\(NSTemporaryDirectory())roost-service-\(safe)-\(UUID().uuidString.prefix(8))"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// An embedded cluster for service tests: small agents whose port ranges are this test's
/// own (a random block of 200), so tests running at once never fight over a port.
struct TestCluster {
    var agents = 2
    var cpus = "2"
    var attributes: @Sendable (Int) -> [String: String] = { _ in [:] }

    func run<T: Sendable>(_ body: @Sendable (LocalCluster.Running) async throws -> T) async throws -> T {
        let work = try temporaryFolder("cluster")
        let base = Int.random(in: 20_000...59_000) / 200 * 200
        let resources = try Resources(parsing: "cpus:\(cpus);mem:2048;ports:[\(base)-\(base + 199)]")
        let cluster = LocalCluster(configuration: .init(
            agents: agents, agentResources: resources, agentAttributes: attributes, workDirectory: work, statusUpdateRetry: .milliseconds(200),
            logger: quietLogger("roost.local.test")))
        return try await cluster.run(body)
    }
}

extension LocalCluster.Running {
    /// A service scheduler for this cluster that asks its master for allocation explanations.
    func serviceScheduler(store: any StateStore = InMemoryStateStore()) async throws -> ServiceScheduler {
        let master = self.master
        return try await ServiceScheduler(configuration: .init(
            store: store, declineFilter: .milliseconds(200),
            explain: { id in await master.explain(id) }, logger: quietLogger("roost.service.test")))
    }

    /// Runs `scheduler` with its timers while `body` runs, then stops its driver.
    func withScheduler<T: Sendable>(_ scheduler: ServiceScheduler, _ body: @Sendable () async throws -> T) async throws -> T {
        let driver = driver(for: await scheduler.frameworkInfo)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try? await scheduler.run { try await driver.run($0) } }
            defer { group.cancelAll() }
            do {
                let result = try await body()
                await driver.stop(failover: false)
                return result
            } catch {
                await driver.stop(failover: false)
                throw error
            }
        }
    }
}

/// How long a test waits for something involving real processes: generous, since suites run
/// in parallel on two shared cores (a passing wait returns as soon as its condition holds).
let clusterWait = Duration.seconds(60)

/// Waits until the service's status satisfies `condition`, naming `what` (and the last status) on timeout.
@discardableResult
func waitFor(_ what: String, service id: String, on scheduler: ServiceScheduler, timeout: Duration = clusterWait,
             _ condition: @escaping (ServiceStatus) -> Bool) async throws -> ServiceStatus {
    do {
        try await waitUntil("service \(id): \(what)", timeout: timeout) {
            guard let status = await scheduler.status(of: id) else { return false }
            return condition(status)
        }
    } catch {
        let last = await scheduler.status(of: id)
        Issue.record("last status: \(last.map { "\($0.counts), deployment \($0.deployment?.summary ?? "none"), problems \($0.placementProblems), failure \($0.lastFailure?.message ?? "none")" } ?? "none")")
        throw error
    }
    return try #require(await scheduler.status(of: id))
}

/// The process ID a task wrote to `<folder>/<task ID>.pid`.
func pid(of taskID: TaskID, in folder: String) throws -> pid_t {
    let text = try String(contentsOfFile: "\(folder)/\(taskID.value).pid", encoding: .utf8)
    return try #require(pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)), "pid file of \(taskID) holds '\(text)'")
}
