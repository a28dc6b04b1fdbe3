import FoundationEssentials
public import Logging
public import RoostCore

/// Keeps long-running services running and healthy on a Roost cluster, as Marathon does: a
/// ``Scheduler`` built only on RoostCore's public API.
///
/// - **Instances**: each service keeps ``ServiceSpec/instances`` instances. One that fails,
///   finishes, is lost or fails its health checks is replaced, after a back-off that grows by
///   ``ServiceSpec/backoffFactor`` with each failure (not after kills the scheduler asked for).
/// - **Deployments**: ``deploy(_:force:)`` with a changed spec rolls the new version out under
///   the spec's ``UpgradeStrategy``: never fewer than `minimumHealthCapacity × instances`
///   healthy (and ready) instances, never more than `(1 + maximumOverCapacity) × instances` in
///   all. One deployment per service at a time; `force` replaces the one in progress.
///   ``rollback(_:force:)`` deploys the previous version.
/// - **Offers**: it revives while some service may launch now and suppresses otherwise. Each
///   offer takes as many instances as fit (resources, ports, constraints); the rest is declined.
/// - **Failover**: every service's state goes to the ``StateStore`` before the scheduler acts
///   on it, so a new scheduler made with the same store picks up where the last one stopped
///   and reconciles its instances.
///
/// ```swift
/// let scheduler = try await ServiceScheduler(configuration: .init(store: store))
/// try await scheduler.deploy(try ServiceSpec(contentsOf: "web.yaml"))
/// let driver = running.driver(for: await scheduler.frameworkInfo)
/// try await scheduler.run { try await driver.run($0) }
/// ```
public actor ServiceScheduler: Scheduler {
    /// The scheduler's settings.
    public struct Configuration: Sendable {
        /// The framework's name; also separates this scheduler's records in the store. Default `service`.
        public var frameworkName: String
        /// Where services and the framework ID are kept. Default a new ``InMemoryStateStore``.
        public var store: any StateStore
        /// The store keys' prefix: records go under `<keyPrefix>/<frameworkName>/`. Default `frameworks/service`.
        public var keyPrefix: String
        /// Where the time comes from. Default ``FrameworkTime/system``.
        public var time: FrameworkTime
        /// How long declined resources are not offered again. Default 5 s (Mesos' `refuse_seconds`).
        public var declineFilter: Duration
        /// How long the master keeps the instances running while no scheduler is connected.
        /// Default one week, as Marathon.
        public var failoverTimeout: Duration
        /// Asks the allocator why this framework is not offered more (for ``ServiceStatus``'s
        /// `allocator` reasons); `nil` when the cluster does not say. `LocalCluster` passes
        /// its master's explanations.
        public var explain: (@Sendable (FrameworkID) async -> [AllocationExplanation])?
        /// Where the scheduler logs.
        public var logger: Logger

        /// Creates a configuration with the documented defaults.
        public init(
            frameworkName: String = "service",
            store: any StateStore = InMemoryStateStore(),
            keyPrefix: String = "frameworks/service",
            time: FrameworkTime = .system,
            declineFilter: Duration = .seconds(5),
            failoverTimeout: Duration = .seconds(7 * 24 * 3600),
            explain: (@Sendable (FrameworkID) async -> [AllocationExplanation])? = nil,
            logger: Logger = Logger(label: "roost.service")
        ) {
            self.frameworkName = frameworkName
            self.store = store
            self.keyPrefix = keyPrefix
            self.time = time
            self.declineFilter = declineFilter
            self.failoverTimeout = failoverTimeout
            self.explain = explain
            self.logger = logger
        }
    }

    /// The label every instance's task carries with its service's ID.
    public static let serviceLabel = "roost.service/id"
    /// The label every instance's task carries with its version.
    public static let versionLabel = "roost.service/version"

    /// The settings.
    public let configuration: Configuration
    private let records: FrameworkRecords<ServiceRun>
    private var services: [String: ServiceRun] = [:]
    /// Why instances wanted at the last offers were not placed, by service.
    private var placementProblems: [String: [String]] = [:]
    private var frameworkID: FrameworkID?
    private var driver: (any SchedulerDriver)?
    /// Whether the master was told this framework wants offers.
    private let interest = OfferInterest()
    private let doorbell = Doorbell()

    /// Creates a scheduler and loads the services and framework ID a previous scheduler stored.
    /// - Throws: ``StateStoreError`` when the store cannot be read or holds a record that does
    ///   not decode (the message names the key).
    public init(configuration: Configuration = Configuration()) async throws {
        self.configuration = configuration
        records = try FrameworkRecords(
            store: configuration.store, prefix: configuration.keyPrefix, framework: configuration.frameworkName, collection: "services")
        frameworkID = try await records.frameworkID()
        for run in try await records.all() { services[run.spec.id] = run }
    }

    /// What to subscribe as: the framework's name, the stored ID (so a new scheduler fails
    /// over to the old one's instances), the failover timeout, and checkpointing on.
    public var frameworkInfo: FrameworkInfo {
        FrameworkInfo(id: frameworkID, name: configuration.frameworkName, failoverTimeout: configuration.failoverTimeout, checkpoint: true)
    }

    // MARK: Services

    /// Deploys `spec`: starts a new service, scales one (only `instances` changed) or rolls
    /// out a new version. Deploying the running spec again does nothing.
    /// - Returns: the deployment started, `nil` when nothing changed.
    /// - Throws: ``ServiceSpecError`` for a bad spec; ``ServiceSchedulerError`` with
    ///   `deploymentInProgress` when the service is being deployed and `force` is false, or
    ///   `beingRemoved`; ``StateStoreError`` when it cannot be stored (nothing changes then).
    @discardableResult
    public func deploy(_ spec: ServiceSpec, force: Bool = false) async throws -> Deployment? {
        try spec.validate()
        guard let run = services[spec.id] else {
            return try await store(ServiceRun(spec: spec, now: configuration.time.now, id: newDeploymentID()), logging: "deploying new service")
        }
        guard let kind = run.change(to: spec) else { return nil }
        return try await change(spec.id, to: spec, kind: kind, force: force)
    }

    /// Changes a service's number of instances (a deployment of kind ``Deployment/Kind/scale``).
    /// Scaling down stops instances in the order of the spec's ``ServiceSpec/killSelection``.
    /// - Throws: as ``deploy(_:force:)``, and ``ServiceSchedulerError`` with `unknownService`.
    @discardableResult
    public func scale(_ id: String, instances: Int, force: Bool = false) async throws -> Deployment? {
        var spec = try existing(id).spec
        spec.instances = instances
        return try await deploy(spec, force: force)
    }

    /// Deploys the version the service ran before its last upgrade, keeping the current
    /// number of instances.
    /// - Throws: ``ServiceSchedulerError`` with `unknownService` or `noPreviousVersion`, and
    ///   as ``deploy(_:force:)``.
    @discardableResult
    public func rollback(_ id: String, force: Bool = false) async throws -> Deployment? {
        let run = try existing(id)
        guard var previous = run.previous else {
            throw ServiceSchedulerError(.noPreviousVersion, "service '\(id)' has run only version \(run.version.prefix(8)); there is nothing to roll back to")
        }
        previous.instances = run.spec.instances
        return try await change(id, to: previous, kind: .rollback, force: force)
    }

    /// Stops every instance of a service and then forgets it.
    /// - Throws: ``ServiceSchedulerError`` with `unknownService`; ``StateStoreError``.
    public func remove(_ id: String) async throws {
        var spec = try existing(id).spec
        spec.instances = 0
        _ = try await change(id, to: spec, kind: .remove, force: true)
    }

    /// Forgets a service's launch delay so its next instance starts at once (Marathon's
    /// `DELETE /v2/queue/{app}/delay`).
    /// - Throws: ``ServiceSchedulerError`` with `unknownService`; ``StateStoreError``.
    public func resetDelay(_ id: String) async throws {
        var run = try existing(id)
        run.resetDelay()
        services[id] = run
        try await persist(id)
        await changed(workAdded: true)
    }

    /// A service's status now, `nil` when no service has that ID.
    public func status(of id: String) async -> ServiceStatus? {
        guard let run = services[id] else { return nil }
        let now = configuration.time.now
        var allocator: [AllocationExplanation] = []
        if run.plan.launch > 0, let explain = configuration.explain, let frameworkID {
            allocator = await explain(frameworkID)
        }
        guard let run = services[id] else { return nil }
        let problems = run.plan.launch > 0 ? placementProblems[id] ?? [] : []
        return ServiceStatus(run: run, now: now, placementProblems: problems, allocator: allocator)
    }

    /// Every service's status, by ID.
    public func statuses() async -> [ServiceStatus] {
        var result: [ServiceStatus] = []
        for id in services.keys.sorted() {
            if let status = await status(of: id) { result.append(status) }
        }
        return result
    }

    // MARK: Scheduler callbacks

    /// Stores the framework ID, then reconciles the instances a previous scheduler left running.
    public func registered(_ driver: any SchedulerDriver, frameworkID: FrameworkID, master: MasterInfo) async throws {
        self.driver = driver
        if self.frameworkID != frameworkID {
            self.frameworkID = frameworkID
            try await records.saveFrameworkID(frameworkID)
        }
        try await resynchronize(driver)
    }

    /// Reconciles the instances and asks again for kills that may have been lost.
    public func reregistered(_ driver: any SchedulerDriver, master: MasterInfo) async throws {
        self.driver = driver
        try await resynchronize(driver)
    }

    /// Places instances on the offers (stored before they are launched) and declines the rest.
    public func resourceOffers(_ driver: any SchedulerDriver, offers: [Offer]) async throws {
        self.driver = driver
        guard frameworkID != nil else { return }
        let now = configuration.time.now
        var plans: [(offer: Offer, tasks: [TaskInfo])] = []
        var launched: [String: Int] = [:]
        var problems: [String: [String]] = [:]
        // Services that want instances now: their placement problems are replaced by this round's.
        let wanting = services.filter { $0.value.launchable(now: now) > 0 }.keys
        for id in wanting { problems[id] = [] }
        for offer in offers {
            var left = offer.resources
            var tasks: [TaskInfo] = []
            for id in services.keys.sorted() {
                guard var run = services[id] else { continue }
                // The plan counts instances launched on earlier offers of this round too.
                var wanted = run.launchable(now: now)
                while wanted > 0 {
                    let placed = run.instances.map(\.placement)
                    if let rejection = run.spec.constraints.firstRejection(offer: offer, placed: placed) {
                        problems[id, default: []].append("agent \(offer.agentID) (\(offer.hostname)): \(rejection)")
                        break
                    }
                    guard left.contains(run.spec.resources), let ports = Self.takePorts(run.spec.ports.count, from: left) else {
                        problems[id, default: []].append(
                            "agent \(offer.agentID) (\(offer.hostname)): offer too small: an instance needs \(run.spec.resources)"
                                + (run.spec.ports.isEmpty ? "" : " and \(run.spec.ports.count) port(s)") + ", \(left.isEmpty ? "nothing" : left.description) left")
                        break
                    }
                    let task = run.makeInstance(on: offer, ports: ports.numbers, portResources: ports.resources, now: now)
                    tasks.append(task)
                    left -= task.resources
                    launched[id, default: 0] += 1
                    wanted -= 1
                }
                services[id] = run
            }
            plans.append((offer, tasks))
        }
        placementProblems.merge(problems) { _, new in new }
        for id in launched.keys.sorted() { try await persist(id) }
        for plan in plans {
            do {
                try await driver.launch(plan.tasks, on: plan.offer, filters: Filters(refuse: configuration.declineFilter))
            } catch {
                configuration.logger.warning("launch on offer \(plan.offer.id) refused: \(error); its instances will be placed again")
                let refused = Set(plan.tasks.map(\.id))
                for id in Set(plan.tasks.compactMap { $0.labels[Self.serviceLabel] }) {
                    services[id]?.launchRefused(refused)
                    try await persist(id)
                }
            }
        }
        await settle(launched: launched)
    }

    /// Records the update in its service (after storing it the driver acknowledges it); kills
    /// a task no service knows.
    public func statusUpdate(_ driver: any SchedulerDriver, status: TaskStatus) async throws {
        self.driver = driver
        guard let id = owner(of: status.taskID), var run = services[id] else {
            if !status.state.isTerminal, status.state != .unknown {
                configuration.logger.notice("killing task \(status.taskID): no service owns it")
                try? await driver.kill(status.taskID, agentID: status.agentID)
            }
            return
        }
        let before = run
        guard run.apply(status, now: configuration.time.now) else { return }
        services[id] = run
        if status.state.isTerminal || status.state == .unknown {
            let why = status.message.map { ": \($0)" } ?? ""
            configuration.logger.info("service \(id): instance \(status.taskID) \(status.state)\(why)")
            if let delay = run.delay, run.delay != before.delay {
                configuration.logger.notice("service \(id): next launch delayed \(delay.seconds) s (back-off)")
            }
        } else if status.healthy != nil, status.healthy != before.instances.first(where: { $0.taskID == status.taskID })?.healthy {
            configuration.logger.info("service \(id): instance \(status.taskID) is \(status.healthy == true ? "healthy" : "unhealthy")")
        }
        try await persist(id)
        await settle(launched: [:])
    }

    // MARK: Timers

    /// Runs the timers beside the driver: `driverLoop` (typically `{ try await driver.run($0) }`)
    /// and ``runTimers()`` together, until `driverLoop` returns.
    /// - Throws: what `driverLoop` throws.
    public nonisolated func run(_ driverLoop: @escaping @Sendable (ServiceScheduler) async throws -> Void) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await self.runTimers() }
            defer { group.cancelAll() }
            try await driverLoop(self)
        }
    }

    /// Acts on time until the task is cancelled: when a service's launch delay ends, it asks
    /// for offers again. Sleeps on ``Configuration/time`` until the next such moment or until a
    /// change moves it.
    public func runTimers() async {
        await configuration.time.runTimers(wakingOn: doorbell) { await runDue() }
    }

    /// Acts on what is due now (asks for offers when a launch delay has ended) and returns the
    /// next moment something is due. ``runTimers()`` calls it; tests on a manual clock may
    /// call it themselves after moving time, so nothing depends on when a background task runs.
    @discardableResult
    public func runDue() async -> Timestamp? {
        let now = configuration.time.now
        await changed(workAdded: false, ringTimers: false)
        return services.values.compactMap { $0.nextDeadline(now: now) }.min()
    }

    // MARK: Helpers

    private func existing(_ id: String) throws(ServiceSchedulerError) -> ServiceRun {
        guard let run = services[id] else {
            let known = services.keys.sorted()
            throw ServiceSchedulerError(.unknownService, "no service '\(id)'" + (known.isEmpty ? "" : "; known services: \(known.joined(separator: ", "))"))
        }
        return run
    }

    private func change(_ id: String, to spec: ServiceSpec, kind: Deployment.Kind, force: Bool) async throws -> Deployment? {
        var run = try existing(id)
        if run.removing, kind != .remove {
            throw ServiceSchedulerError(.beingRemoved, "service '\(id)' is being removed; wait until its instances have stopped")
        }
        if let current = run.deployment, !force {
            throw ServiceSchedulerError(
                .deploymentInProgress,
                "service '\(id)' has deployment \(current.id) in progress (\(current.summary.isEmpty ? current.kind.rawValue : current.summary)); wait for it to finish or deploy with force to replace it")
        }
        run.deploy(spec, kind: kind, force: force, now: configuration.time.now, id: newDeploymentID())
        if kind == .remove { run.removing = true }
        return try await store(run, logging: "\(kind.rawValue) deployment")
    }

    /// Stores `run` as its service's record, then acts on it; on a store failure nothing changes.
    private func store(_ run: ServiceRun, logging what: String) async throws -> Deployment? {
        let id = run.spec.id
        let old = services[id]
        services[id] = run
        do {
            try await persist(id)
        } catch {
            services[id] = old
            throw error
        }
        let deployment = run.deployment
        configuration.logger.info("service \(id): \(what) \(deployment?.id ?? ""): version \(run.version.prefix(8)), \(run.spec.instances) instance(s)")
        await settle(launched: [:])
        await changed(workAdded: true)
        return deployment
    }

    private func newDeploymentID() -> String {
        "d-" + String(UUID().uuidString.lowercased().filter(\.isHexDigit).prefix(8))
    }

    /// The service that owns a task: task IDs are `<service>.<n>`.
    private func owner(of taskID: TaskID) -> String? {
        guard let dot = taskID.value.lastIndex(of: ".") else { return nil }
        let id = String(taskID.value[..<dot])
        return services[id]?.owns(taskID) == true ? id : nil
    }

    /// After every change: kill what the plans say, record deployment steps, finish
    /// deployments and removals, then revive or suppress.
    private func settle(launched: [String: Int]) async {
        let now = configuration.time.now
        var kills: [(ServiceInstance, Duration?)] = []
        for id in services.keys.sorted() {
            guard var run = services[id] else { continue }
            let before = run
            let killed = run.settle(now: now, launched: launched[id] ?? 0)
            kills += killed.map { ($0, run.spec.killGracePeriod) }
            if let finished = before.deployment, run.deployment == nil {
                configuration.logger.info("service \(id): deployment \(finished.id) (\(finished.kind.rawValue)) finished")
            }
            if run.removing, run.instances.isEmpty {
                services[id] = nil
                placementProblems[id] = nil
                configuration.logger.info("service \(id) removed")
            } else {
                services[id] = run
            }
            if run != before || services[id] == nil { await persistLogging(id) }
        }
        if let driver {
            for (instance, grace) in kills {
                do { try await driver.kill(instance.taskID, agentID: instance.agentID, gracePeriod: grace) } catch {
                    configuration.logger.warning("kill \(instance.taskID) failed: \(error); asked again after re-registering")
                }
            }
        }
        await changed(workAdded: false)
    }

    private func resynchronize(_ driver: any SchedulerDriver) async throws {
        interest.forget()
        let live = services.values.flatMap(\.instances)
        if !live.isEmpty {
            configuration.logger.info("reconciling \(live.count) instance(s) left by a previous scheduler or connection")
            try? await driver.reconcile(live.map { ReconcileTask(taskID: $0.taskID, agentID: $0.agentID) })
        }
        for run in services.values {
            for instance in run.instances where instance.killing {
                try? await driver.kill(instance.taskID, agentID: instance.agentID, gracePeriod: run.spec.killGracePeriod)
            }
        }
        await settle(launched: [:])
        await changed(workAdded: true)
    }

    /// Suppresses offers when no service may launch now, revives when one may (also when
    /// `workAdded`, to clear decline filters), and lets the timers recompute.
    private func changed(workAdded: Bool, ringTimers: Bool = true) async {
        if ringTimers { doorbell.ring() }
        guard let driver, frameworkID != nil else { return }
        let now = configuration.time.now
        let wanted = services.values.contains { $0.launchable(now: now) > 0 }
        do {
            try await interest.update(wanted: wanted, workAdded: workAdded, driver: driver)
        } catch {
            configuration.logger.warning("revive/suppress failed: \(error); retried on the next change")
        }
    }

    /// `count` ports from the `ports` ranges of `resources`, lowest first, with the resource
    /// that claims them; `nil` when there are not enough.
    static func takePorts(_ count: Int, from resources: Resources) -> (numbers: [Int], resources: Resources)? {
        guard count > 0 else { return ([], Resources()) }
        var numbers: [Int] = []
        var claimed: [Resource] = []
        for resource in resources where resource.name == "ports" {
            guard case .ranges(let ranges) = resource.value else { continue }
            var taken: [ClosedRange<UInt64>] = []
            for range in ranges.ranges where numbers.count < count {
                let take = min(UInt64(count - numbers.count), range.upperBound - range.lowerBound + 1)
                let slice = range.lowerBound...(range.lowerBound + take - 1)
                taken.append(slice)
                numbers += slice.map { Int($0) }
            }
            if !taken.isEmpty, let claim = try? Resource(name: "ports", value: .ranges(ValueRanges(taken)), role: resource.role, reservation: resource.reservation) {
                claimed.append(claim)
            }
            if numbers.count == count { return (numbers, Resources(claimed)) }
        }
        return nil
    }

    private func persist(_ id: String) async throws {
        try await records.write(id) { services[id] }
    }

    private func persistLogging(_ id: String) async {
        do { try await persist(id) } catch {
            configuration.logger.error("cannot store service \(id): \(error)")
        }
    }
}
