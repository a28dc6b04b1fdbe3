import Logging
import RoostBatch
import RoostCore
import RoostTesting
import Synchronization
import Testing

/// A driver without a master: records calls, can refuse accepts, and can look at the store
/// at the moment of each accept (to prove tasks are stored before they are launched).
final class FakeDriver: SchedulerDriver, Sendable {
    private let state = Mutex<(calls: [SchedulerCall.Kind], refuseAccepts: Bool)>(([], false))
    private let onAccept: @Sendable ([TaskInfo]) async -> Void

    init(onAccept: @escaping @Sendable ([TaskInfo]) async -> Void = { _ in }) { self.onAccept = onAccept }

    var frameworkID: FrameworkID? { get async { "fw-1" } }

    func send(_ call: SchedulerCall.Kind) async throws(SchedulerDriverError) {
        let refuse = state.withLock { state in
            state.calls.append(call)
            return state.refuseAccepts
        }
        if case .accept(_, let operations, _) = call {
            await onAccept(launched(operations))
            if refuse { throw SchedulerDriverError(.unknownOffer, "offer rescinded") }
        }
    }

    func stop(failover: Bool) async {}

    func refuseAccepts(_ refuse: Bool) { state.withLock { $0.refuseAccepts = refuse } }
    var calls: [SchedulerCall.Kind] { state.withLock { $0.calls } }
    func clear() { state.withLock { $0.calls = [] } }

    var launches: [TaskInfo] {
        calls.flatMap { call -> [TaskInfo] in
            guard case .accept(_, let operations, _) = call else { return [] }
            return launched(operations)
        }
    }

    var kills: [TaskID] {
        calls.compactMap { if case .kill(let id, _, _) = $0 { id } else { nil } }
    }

    var suppressed: Bool? {
        for call in calls.reversed() {
            if case .suppress = call { return true }
            if case .revive = call { return false }
        }
        return nil
    }

    private func launched(_ operations: [OfferOperation]) -> [TaskInfo] {
        operations.flatMap { operation -> [TaskInfo] in
            if case .launch(let tasks) = operation { return tasks }
            return []
        }
    }
}

func offer(_ id: String, agent: String = "a1", resources: Resources = "cpus:1;mem:1024", attributes: [String: String] = [:]) -> Offer {
    Offer(id: OfferID(id), frameworkID: "fw-1", agentID: AgentID(agent), hostname: "host-\(agent)", resources: resources, attributes: attributes)
}

func update(_ task: TaskID, _ state: TaskState, exitCode: Int32? = nil, reason: TaskStatus.Reason? = nil) -> TaskStatus {
    TaskStatus(taskID: task, state: state, reason: reason, source: reason == nil ? .executor : .master, agentID: "a1",
               timestamp: Timestamp(secondsSinceEpoch: 0), exitCode: exitCode)
}

/// The scheduler's protocol with the master, driven by hand: offers, updates, registration.
@Suite struct SchedulerTests {
    let master = MasterInfo(id: "m", hostname: "localhost")

    func scheduler(_ store: any StateStore = InMemoryStateStore()) async throws -> BatchScheduler {
        var logger = Logger(label: "roost.batch.test")
        logger.logLevel = .warning
        return try await BatchScheduler(configuration: .init(store: store, declineFilter: .seconds(7), logger: logger))
    }

    @Test func suppressesWithNothingToRunAndDeclinesWithItsFilter() async throws {
        let batch = try await scheduler()
        let driver = FakeDriver()
        try await batch.registered(driver, frameworkID: "fw-1", master: master)
        #expect(driver.suppressed == true)
        try await batch.resourceOffers(driver, offers: [offer("o1")])
        #expect(driver.calls.contains { if case .accept(["o1"], [], let filters) = $0 { filters.refuse == .seconds(7) } else { false } })
        try await batch.submit(BatchJob(name: "later", command: .shell("true")))
        #expect(driver.suppressed == false, "revived when work arrived")
    }

    @Test func everyTaskIsStoredBeforeItIsLaunched() async throws {
        let store = InMemoryStateStore()
        let seen = Mutex<[Bool]>([])
        let driver = FakeDriver { tasks in
            let record = try? await store.getJSON("frameworks/batch/batch/jobs/stored", as: StoredJob.self)?.value
            let storedIDs = Set(record?.status.tasks.map(\.taskID) ?? [])
            seen.withLock { $0.append(tasks.allSatisfy { storedIDs.contains($0.id) }) }
        }
        let batch = try await scheduler(store)
        try await batch.submit(BatchJob(name: "stored", command: .shell("true"), resources: "cpus:0.25;mem:32", completions: 8, parallelism: 8))
        try await batch.registered(driver, frameworkID: "fw-1", master: master)
        try await batch.resourceOffers(driver, offers: [offer("o1"), offer("o2", agent: "a2")])
        #expect(driver.launches.count == 8, "four fit each offer")
        #expect(seen.withLock { $0 } == [true, true])
        #expect(driver.suppressed == true, "nothing left to launch")
    }

    @Test func aRefusedLaunchIsPlacedAgainUncounted() async throws {
        let batch = try await scheduler()
        let driver = FakeDriver()
        try await batch.submit(BatchJob(name: "retry-launch", command: .shell("true")))
        try await batch.registered(driver, frameworkID: "fw-1", master: master)
        driver.refuseAccepts(true)
        try await batch.resourceOffers(driver, offers: [offer("o1")])
        driver.refuseAccepts(false)
        try await batch.resourceOffers(driver, offers: [offer("o2")])
        let launched = driver.launches.map(\.id)
        #expect(launched.count == 2 && launched[0] != launched[1])
        let status = try #require(await batch.status(of: "retry-launch"))
        #expect((status.active, status.failed) == (1, 0))
        #expect(status.tasks.first?.outcome == .stopped)
    }

    @Test func constraintsCountTasksPlacedEarlierInTheSameOfferCycle() async throws {
        let batch = try await scheduler()
        let driver = FakeDriver()
        try await batch.submit(BatchJob(
            name: "spread", command: .shell("true"), resources: "cpus:0.25;mem:32", completions: 6, parallelism: 6,
            constraints: [
                PlacementConstraint(attribute: "rack", operator: .groupBy, value: "2"),
                PlacementConstraint(attribute: "hostname", operator: .maxPer, value: "2"),
            ]))
        try await batch.registered(driver, frameworkID: "fw-1", master: master)
        // Room for four tasks on each offer; the constraints decide.
        try await batch.resourceOffers(driver, offers: [
            offer("o1", agent: "a1", attributes: ["rack": "r1"]), offer("o2", agent: "a2", attributes: ["rack": "r1"]),
            offer("o3", agent: "a3", attributes: ["rack": "r2"]), offer("o4", agent: "a4"),
        ])
        // o1 takes one; r1 then waits for a second rack (o2 too); o3 takes two (r2 may match
        // r1's count, then not exceed it); o4 has no rack.
        #expect(launchesPerOffer(driver) == ["o1": 1, "o2": 0, "o3": 2, "o4": 0])
        driver.clear()
        // r1 catches up with r2, two tasks per host at most.
        try await batch.resourceOffers(driver, offers: [
            offer("o5", agent: "a1", attributes: ["rack": "r1"]), offer("o6", agent: "a2", attributes: ["rack": "r1"]),
        ])
        #expect(launchesPerOffer(driver) == ["o5": 1, "o6": 1])
        let status = try #require(await batch.status(of: "spread"))
        #expect(status.tasks.map(\.placement) == [
            ["rack": "r1", "hostname": "host-a1"], ["rack": "r2", "hostname": "host-a3"], ["rack": "r2", "hostname": "host-a3"],
            ["rack": "r1", "hostname": "host-a1"], ["rack": "r1", "hostname": "host-a2"],
        ])
    }

    private func launchesPerOffer(_ driver: FakeDriver) -> [OfferID: Int] {
        var counts: [OfferID: Int] = [:]
        for call in driver.calls {
            guard case .accept(let offers, let operations, _) = call else { continue }
            for id in offers {
                counts[id, default: 0] += operations.reduce(0) { sum, operation in
                    if case .launch(let tasks) = operation { sum + tasks.count } else { sum }
                }
            }
        }
        return counts
    }

    @Test func duplicateUpdatesChangeNothingAndStrangersAreKilled() async throws {
        let batch = try await scheduler()
        let driver = FakeDriver()
        try await batch.submit(BatchJob(name: "dup", command: .shell("true"), completions: 2, parallelism: 1))
        try await batch.registered(driver, frameworkID: "fw-1", master: master)
        try await batch.resourceOffers(driver, offers: [offer("o1")])
        let task = try #require(driver.launches.first?.id)
        try await batch.statusUpdate(driver, status: update(task, .running))
        try await batch.statusUpdate(driver, status: update(task, .finished, exitCode: 0))
        // The agent resends, and reconciliation answers, with the same terminal state.
        try await batch.statusUpdate(driver, status: update(task, .finished, exitCode: 0))
        try await batch.statusUpdate(driver, status: update(task, .finished, reason: .reconciliation))
        #expect(await batch.status(of: "dup")?.succeeded == 1)
        try await batch.statusUpdate(driver, status: update("ghost-abcde-0", .running))
        #expect(driver.kills == ["ghost-abcde-0"])
    }

    @Test func aNewSchedulerReconcilesAndRetriesTasksTheMasterNeverSaw() async throws {
        let store = InMemoryStateStore()
        let first = try await scheduler(store)
        let firstDriver = FakeDriver()
        try await first.submit(BatchJob(name: "moved", command: .shell("true"), completions: 2, parallelism: 2))
        try await first.registered(firstDriver, frameworkID: "fw-1", master: master)
        try await first.resourceOffers(firstDriver, offers: [offer("o1")])
        let launched = firstDriver.launches.map(\.id)
        #expect(launched.count == 2)
        // The first scheduler dies; the second reads the store.
        let second = try await scheduler(store)
        #expect(await second.frameworkInfo.id == "fw-1")
        let driver = FakeDriver()
        try await second.registered(driver, frameworkID: "fw-1", master: master)
        let reconciled = driver.calls.compactMap { if case .reconcile(let tasks) = $0 { tasks } else { nil } }.flatMap { $0 }
        #expect(Set(reconciled.map(\.taskID)) == Set(launched))
        #expect(reconciled.allSatisfy { $0.agentID == "a1" })
        #expect(driver.suppressed == true, "both tasks are active: nothing to launch")
        // One is running; the master never heard of the other (its launch was lost).
        try await second.statusUpdate(driver, status: update(launched[0], .running, reason: .reconciliation))
        try await second.statusUpdate(driver, status: update(launched[1], .lost, reason: .reconciliation))
        let status = try #require(await second.status(of: "moved"))
        #expect((status.active, status.failed) == (1, 0), "a task the master never saw is not a failure")
        #expect(driver.suppressed == false, "revived to replace it")
        try await second.resourceOffers(driver, offers: [offer("o2")])
        #expect(driver.launches.count == 1, "only the lost one is replaced")
        #expect(!launched.contains(driver.launches[0].id))
        // The task reported lost turns up running after all: it must not run beside its replacement.
        try await second.statusUpdate(driver, status: update(launched[1], .running))
        #expect(driver.kills == [launched[1]])
        #expect(await second.status(of: "moved")?.active == 2, "the replacement and the running one")
    }

    @Test func scalingToZeroPausesAndStopsTasksUncounted() async throws {
        let batch = try await scheduler()
        let driver = FakeDriver()
        try await batch.submit(BatchJob(name: "scaled", command: .shell("sleep 9"), completions: 4, parallelism: 2))
        try await batch.registered(driver, frameworkID: "fw-1", master: master)
        try await batch.resourceOffers(driver, offers: [offer("o1")])
        let tasks = driver.launches.map(\.id)
        for task in tasks { try await batch.statusUpdate(driver, status: update(task, .running)) }
        try await batch.scale("scaled", parallelism: 0)
        #expect(Set(driver.kills) == Set(tasks))
        for task in tasks { try await batch.statusUpdate(driver, status: update(task, .killed)) }
        let paused = try #require(await batch.status(of: "scaled"))
        #expect((paused.active, paused.failed) == (0, 0))
        #expect(driver.suppressed == true)
        try await batch.scale("scaled", parallelism: 1)
        #expect(driver.suppressed == false)
        await #expect(throws: BatchSchedulerError.self) { try await batch.scale("nope", parallelism: 1) }
        await #expect(throws: BatchSchedulerError.self) { try await batch.scale("scaled", parallelism: -1) }
    }

    @Test func submittingTwiceOrABadSpecIsRefused() async throws {
        let batch = try await scheduler()
        try await batch.submit(BatchJob(name: "once", command: .shell("true")))
        let twice = await #expect(throws: BatchSchedulerError.self) { try await batch.submit(BatchJob(name: "once", command: .shell("true"))) }
        #expect(twice?.code == .jobExists)
        let bad = await #expect(throws: BatchSpecError.self) { try await batch.submit(BatchJob(name: "bad", command: .shell("true"), completions: -1)) }
        #expect(bad?.message == "job.completions: must be ≥ 0, got -1")
        #expect(await batch.status(of: "bad") == nil)
    }

    @Test func onlyAJobWithNoActiveTaskIsDeletedAndItsRecordGoes() async throws {
        let store = InMemoryStateStore()
        let batch = try await scheduler(store)
        let driver = FakeDriver()
        try await batch.registered(driver, frameworkID: "fw-1", master: master)
        try await batch.submit(BatchJob(name: "gone", command: .shell("true"), resources: "cpus:0.25;mem:32"))
        try await batch.resourceOffers(driver, offers: [offer("o1")])
        let task = try #require(driver.launches.first)
        let active = await #expect(throws: BatchSchedulerError.self) { try await batch.delete("gone") }
        #expect(active?.code == .jobActive)
        try await batch.statusUpdate(driver, status: update(task.id, .running))
        try await batch.statusUpdate(driver, status: update(task.id, .finished, exitCode: 0))
        #expect(await batch.status(of: "gone")?.isFinished == true)
        try await batch.delete("gone")
        #expect(await batch.status(of: "gone") == nil)
        let stored = try await (store as any StateStore).get("frameworks/batch/batch/jobs/gone")
        #expect(stored == nil, "the record is deleted from the store")
        try await batch.delete("gone")
        #expect(try await BatchScheduler(configuration: .init(store: store)).status(of: "gone") == nil, "a new scheduler does not load it")
    }
}

/// The part of a stored job record this test reads (the record's format is the scheduler's own).
struct StoredJob: Decodable {
    var status: JobStatus
}
