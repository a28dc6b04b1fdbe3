import Foundation
import Logging
import RoostBatch
import RoostCore
import RoostCron
import RoostTesting
import Testing

/// The wall-clock moment virtual time zero stands for: 2027-01-15T08:00:00Z, a whole minute.
let origin = Timestamp(secondsSinceEpoch: 1_800_000_000)

/// `origin` plus `seconds`.
func t(_ seconds: Double) -> Timestamp { origin.advanced(by: .seconds(seconds)) }

/// A cron job running `command` (in the simulated cluster, tasks follow the cluster's behaviour).
func cronJob(
    _ name: String, _ expression: String = "* * * * *", policy: CronJob.ConcurrencyPolicy = .allow,
    startingDeadline: Duration? = nil, successLimit: Int = 3, failedLimit: Int = 1, command: String = "true"
) throws -> CronJob {
    CronJob(
        name: name, schedule: try CronSchedule(parsing: expression),
        jobTemplate: BatchJob(name: name, command: .shell(command), resources: "cpus:0.1;mem:16", backoffLimit: 0),
        concurrencyPolicy: policy, startingDeadline: startingDeadline,
        successfulJobsHistoryLimit: successLimit, failedJobsHistoryLimit: failedLimit)
}

/// A simulated cluster on virtual time with two agents, and cron schedulers on its clock.
struct Simulation {
    let cluster: SimulatedCluster
    let time: FrameworkTime
    let store: any StateStore

    /// A cluster whose tasks follow `behavior` (by task ID), finishing after 1 s by default.
    init(behavior: @escaping @Sendable (String) -> TaskBehavior? = { _ in nil }) async {
        cluster = SimulatedCluster(configuration: .init(behavior: { _, task in behavior(task.id.value) }))
        await cluster.addAgents(2, resources: "cpus:4;mem:4096")
        time = FrameworkTime(cluster.clock, origin: cluster.clock.now, at: origin)
        store = InMemoryStateStore()
    }

    /// A scheduler on the cluster's clock and the shared store (not connected yet).
    func scheduler() async throws -> CronScheduler {
        var logger = Logger(label: "roost.cron.test")
        logger.logLevel = .warning
        return try await CronScheduler(configuration: .init(store: store, time: time, declineFilter: .seconds(1), logger: logger))
    }

    /// Connects `scheduler` to the cluster; with `timers`, also starts its timer loop (which
    /// wakes on the virtual clock). Without, the test calls ``CronScheduler/runDue()`` itself,
    /// so nothing depends on when a background task gets a thread.
    func start(_ scheduler: CronScheduler, timers: Bool = false) async throws -> Running {
        let driver = try await cluster.connect(scheduler, as: await scheduler.frameworkInfo)
        let loop = timers ? Task { await scheduler.runTimers() } : nil
        return Running(cluster: cluster, driver: driver, timers: loop)
    }

    /// Moves virtual time to `timestamp`, then lets `scheduler` act on what is due.
    func tick(_ scheduler: CronScheduler, at timestamp: Timestamp) async {
        await advance(to: timestamp)
        await scheduler.runDue()
    }

    /// The current virtual time as a wall-clock timestamp.
    var now: Timestamp { time.now }

    /// Waits until the cron timer loop sleeps until `timestamp` (so moving time cannot race it).
    /// The timeout is generous: other suites in the same process can hold both threads of a
    /// small machine for many seconds.
    func waitForSleep(until timestamp: Timestamp) async throws {
        let target = ManualClock.Instant(offset: .seconds(timestamp.secondsSinceEpoch - origin.secondsSinceEpoch))
        try await waitUntil("a timer armed for \(timestamp)", timeout: .seconds(45)) { cluster.clock.nextDeadline == target }
    }

    /// Advances virtual time to `timestamp` (after the cron loop armed its timer when `armed`).
    func advance(to timestamp: Timestamp) async {
        await cluster.run(until: .seconds(timestamp.secondsSinceEpoch - origin.secondsSinceEpoch))
    }

    /// Moves virtual time on in `step`s, letting `scheduler` act after each, until `condition`
    /// holds; records an issue naming `what` if it does not by `limit`. Every step is awaited,
    /// so the outcome does not depend on real time.
    func drive(
        _ what: String, _ scheduler: CronScheduler, step: Duration = .milliseconds(250), limit: Timestamp,
        sourceLocation: SourceLocation = #_sourceLocation, _ condition: () async throws -> Bool
    ) async throws {
        while true {
            await scheduler.runDue()
            if try await condition() { return }
            guard time.now.advanced(by: step) <= limit else {
                Issue.record("not reached by \(limit) (virtual): \(what)", sourceLocation: sourceLocation)
                throw DriveLimit()
            }
            await cluster.advance(by: step)
        }
    }

    /// Thrown by ``drive(_:_:step:limit:sourceLocation:_:)`` when its condition never held.
    struct DriveLimit: Error {}

    /// A scheduler connected to the cluster, with its timers running.
    struct Running {
        let cluster: SimulatedCluster
        let driver: SimulatedSchedulerDriver
        let timers: Task<Void, Never>?

        /// Stops the scheduler as a dying process does: timers gone, connection closed, the
        /// framework's tasks kept for a new scheduler.
        func stop() async {
            timers?.cancel()
            await timers?.value
            await cluster.disconnect(driver)
        }
    }
}
