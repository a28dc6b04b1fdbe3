import FoundationEssentials
import RoostCore

/// One service's state in the scheduler: its target spec, its instances, its back-off and its
/// deployment. A value, changed only by the ``ServiceScheduler`` actor and stored whole in the
/// state store after each change, so a new scheduler takes over exactly where the last stopped.
struct ServiceRun: Hashable, Sendable, Codable {
    /// What the service should run now.
    var spec: ServiceSpec
    /// `spec.version`, kept so it is computed once.
    var version: String
    /// The spec before the last change of version, for ``ServiceScheduler/rollback(_:force:)``.
    var previous: ServiceSpec?
    /// Every instance not yet known to have ended.
    var instances: [ServiceInstance] = []
    /// The number the next instance's task ID gets: also how many were ever launched.
    var nextIndex = 0
    /// How many instances failed (by the back-off's rule) since the service started.
    var failedCount = 0
    /// How many instances the scheduler stopped (scaling, deployments, removal).
    var stoppedCount = 0
    /// The relaunch delay (Marathon's rate limiter): `nil` until an instance fails.
    var delay: Duration?
    /// No instance is launched before this time.
    var delayedUntil: Timestamp?
    /// The last instance that failed, finished or was found unhealthy.
    var lastFailure: InstanceFailure?
    /// The deployment in progress.
    var deployment: Deployment?
    /// The last few finished deployments, newest last.
    var history: [Deployment] = []
    /// Whether the service is being removed: once its instances have ended its record is deleted.
    var removing = false

    /// How many finished deployments are kept.
    static let historyLimit = 5

    init(spec: ServiceSpec, now: Timestamp, id deploymentID: String) {
        self.spec = spec
        version = spec.version
        deployment = Deployment(id: deploymentID, kind: .start, version: version, instances: spec.instances, force: false, startedAt: now)
    }

    // MARK: Deployments

    /// What deploying `new` means for this service: a new version, a change of `instances`
    /// only, or nothing.
    func change(to new: ServiceSpec) -> Deployment.Kind? {
        if new.version != version { return .upgrade }
        return new.instances == spec.instances ? nil : .scale
    }

    /// Makes `new` the target, starting a deployment of `kind`; a change of version resets the
    /// back-off (Marathon) and remembers the current spec for a rollback (so a second rollback
    /// returns to the version the first one left).
    mutating func deploy(_ new: ServiceSpec, kind: Deployment.Kind, force: Bool, now: Timestamp, id deploymentID: String) {
        if let current = deployment {
            var superseded = current
            superseded.finish(at: now, outcome: .superseded(by: deploymentID))
            archive(superseded)
        }
        let newVersion = new.version
        if newVersion != version {
            previous = spec
            delay = nil
            delayedUntil = nil
        }
        spec = new
        version = newVersion
        deployment = Deployment(id: deploymentID, kind: kind, version: newVersion, instances: new.instances, force: force, startedAt: now)
    }

    private mutating func archive(_ finished: Deployment) {
        history.append(finished)
        if history.count > Self.historyLimit { history.removeFirst(history.count - Self.historyLimit) }
    }

    // MARK: Planning

    /// What the planner says to do now, before the back-off is considered.
    var plan: InstancePlan {
        InstancePlanner.plan(
            version: version, instances: spec.instances, strategy: spec.upgradeStrategy, killSelection: spec.killSelection,
            current: instances.map(\.snapshot))
    }

    /// How many instances may be launched now: the plan's launches, none while backing off.
    func launchable(now: Timestamp) -> Int {
        if let delayedUntil, now < delayedUntil { return 0 }
        return plan.launch
    }

    /// Marks the plan's kills as being killed and returns them; records in the deployment
    /// what was done (the `launched` instances placed since the last call and these kills),
    /// and finishes the deployment when it is complete.
    mutating func settle(now: Timestamp, launched: Int) -> [ServiceInstance] {
        var plan = self.plan
        var kills: [ServiceInstance] = []
        for id in plan.kill {
            guard let index = instances.firstIndex(where: { $0.taskID == id }) else { continue }
            instances[index].killing = true
            kills.append(instances[index])
        }
        guard var current = deployment else { return kills }
        // The step records what was done, not what the plan still wants (launches wait for offers).
        plan.launch = launched
        current.progress.record(plan, at: now)
        if plan.isComplete {
            current.finish(at: now, outcome: .succeeded)
            archive(current)
            deployment = nil
        } else {
            deployment = current
        }
        return kills
    }

    // MARK: Instances

    /// A new instance of the target version on `offer`, with `ports`; added as launching.
    mutating func makeInstance(on offer: Offer, ports: [Int], portResources: Resources, now: Timestamp) -> TaskInfo {
        let taskID = TaskID("\(spec.id).\(nextIndex)")
        nextIndex += 1
        var environment = spec.environment
        for (index, port) in ports.enumerated() {
            environment["PORT\(index)"] = String(port)
            let name = String(spec.ports[index].uppercased().map { $0 == "-" ? "_" : $0 })
            environment["PORT_\(name)"] = String(port)
        }
        if !ports.isEmpty { environment["PORTS"] = ports.map(String.init).joined(separator: ",") }
        environment["HOST"] = offer.hostname
        environment["ROOST_SERVICE_ID"] = spec.id
        environment["ROOST_SERVICE_VERSION"] = version
        var labels = spec.labels
        labels[ServiceScheduler.serviceLabel] = spec.id
        labels[ServiceScheduler.versionLabel] = version
        let task = TaskInfo(
            id: taskID, name: "\(spec.id) instance \(nextIndex - 1)", agentID: offer.agentID, resources: spec.resources + portResources,
            command: spec.command, environment: environment, labels: labels,
            healthCheck: spec.healthCheck?.healthCheck(ports: ports, portNames: spec.ports),
            readinessCheck: spec.readinessCheck?.readinessCheck(ports: ports, portNames: spec.ports),
            killGracePeriod: spec.killGracePeriod)
        instances.append(ServiceInstance(
            taskID: taskID, version: version, agentID: offer.agentID, hostname: offer.hostname, ports: ports,
            placement: spec.constraints.placementValues(in: offer), launchedAt: now, startedAt: nil, state: .staging,
            healthy: nil, ready: nil, hasHealthCheck: spec.healthCheck != nil, hasReadinessCheck: spec.readinessCheck != nil,
            killing: false, message: nil))
        return task
    }

    /// Whether `taskID` is one of the live instances.
    func owns(_ taskID: TaskID) -> Bool { instances.contains { $0.taskID == taskID } }

    /// Applies a status update; an ended instance leaves the list, and a failure grows the
    /// back-off. Returns whether anything changed.
    mutating func apply(_ status: TaskStatus, now: Timestamp) -> Bool {
        guard let index = instances.firstIndex(where: { $0.taskID == status.taskID }) else { return false }
        let before = instances[index]
        var instance = before
        instance.state = status.state
        if status.healthy != nil { instance.healthy = status.healthy }
        if status.ready != nil { instance.ready = status.ready }
        if status.state == .running, instance.startedAt == nil { instance.startedAt = now }
        if let message = status.message, !message.isEmpty { instance.message = message }
        // TASK_UNKNOWN: the master has no such task (a reconciliation answer); it is gone.
        guard status.state.isTerminal || status.state == .unknown else {
            instances[index] = instance
            return instance != before
        }
        instances.remove(at: index)
        if before.killing, status.state == .killed { stoppedCount += 1 }
        if countsAsFailure(status, instance: before) {
            failedCount += 1
            lastFailure = InstanceFailure(taskID: status.taskID, version: before.version, state: status.state, reason: status.reason?.rawValue,
                                          message: status.message ?? "", at: now)
            if before.version == version { growDelay(now: now) }
        }
        return true
    }

    /// Marathon's rule: an instance that failed or finished (or was killed for failing its
    /// health checks, or could not start) delays the next launch; one the scheduler killed does not.
    private func countsAsFailure(_ status: TaskStatus, instance: ServiceInstance) -> Bool {
        switch status.state {
        case .failed, .finished, .error: return true
        case .killed: return status.reason == .taskUnhealthy
        case .lost, .gone, .dropped, .goneByOperator, .unknown: return !instance.killing
        default: return false
        }
    }

    private mutating func growDelay(now: Timestamp) {
        let next: Duration
        if let delay {
            next = min(spec.maxLaunchDelay, Duration.seconds(delay.seconds * spec.backoffFactor))
        } else {
            next = spec.backoff
        }
        delay = next
        delayedUntil = now.advanced(by: next)
    }

    /// Forgets the back-off (Marathon's `DELETE /v2/queue/{app}/delay`).
    mutating func resetDelay() {
        delay = nil
        delayedUntil = nil
    }

    /// Drops instances whose launch the master refused; they never ran.
    mutating func launchRefused(_ taskIDs: Set<TaskID>) {
        instances.removeAll { taskIDs.contains($0.taskID) }
    }

    /// The next moment something is due: the end of the back-off.
    func nextDeadline(now: Timestamp) -> Timestamp? {
        guard let delayedUntil, delayedUntil > now, plan.launch > 0 else { return nil }
        return delayedUntil
    }
}
