import FoundationEssentials
import RoostAllocators
public import RoostCore
import RoostMaster

/// The allocation policies `roost simulate` knows by name.
public enum WorkloadPolicy: String, Sendable, Hashable, CaseIterable, Codable {
    /// ``DRFAllocator``, with the trace's role weights.
    case drf
    /// ``FIFOAllocator``: frameworks in the order they registered (the trace's order).
    case fifo
    /// ``PriorityAllocator``: by `priority`, then weighted dominant share; preempts lower priorities.
    case priority

    /// A new policy of this kind for `trace` (its role weights, where the policy uses weights).
    public func make(for trace: WorkloadTrace) -> any AllocatorPolicy {
        switch self {
        case .drf: DRFAllocator(configuration: .init(weights: trace.roleWeights))
        case .fifo: FIFOAllocator()
        case .priority: PriorityAllocator(configuration: .init(weights: trace.roleWeights))
        }
    }
}

/// Runs a ``WorkloadTrace`` through a ``SimulatedCluster`` and reports what each framework got.
///
/// Each framework of the trace is a scheduler that launches its pending tasks from offers
/// (see `docs/simulate.md` for exactly how it accepts and declines). The frameworks
/// subscribe in the trace's order before any agent exists, then every agent registers at
/// once, so the first allocation sees the whole cluster and every framework. Tasks with
/// `submitAt` > 0 become pending at that virtual time. The run stops at the trace's `until`.
///
/// ```swift
/// let trace = try WorkloadTrace(json: data)
/// let report = await WorkloadSimulation.run(trace, policy: .drf)
/// #expect(report.frameworks["A"]?.tasksLaunched == 3)
/// ```
public enum WorkloadSimulation {
    /// Runs `trace` under one of the named policies.
    public static func run(_ trace: WorkloadTrace, policy: WorkloadPolicy) async -> WorkloadPolicyReport {
        await run(trace, policyName: policy.rawValue) { policy.make(for: trace) }
    }

    /// Runs `trace` under a policy of your own (`makePolicy` is called once, for the master);
    /// `policyName` labels the report.
    public static func run(_ trace: WorkloadTrace, policyName: String, makePolicy: @escaping @Sendable () -> any AllocatorPolicy) async -> WorkloadPolicyReport {
        let cluster = SimulatedCluster(configuration: .init(
            policy: makePolicy,
            behavior: { _, task in
                guard let text = task.labels[TraceScheduler.durationLabel], let seconds = Double(text) else { return .runForever }
                return .finish(after: .seconds(seconds))
            },
            defaultBehavior: .runForever))

        // Subscribe everyone first: an agent registered earlier would go wholly to the first framework.
        var schedulers: [(framework: WorkloadTrace.Framework, scheduler: TraceScheduler, driver: SimulatedSchedulerDriver?)] = []
        for framework in trace.frameworks {
            let scheduler = TraceScheduler(name: framework.id, maxTasksPerOffer: framework.maxTasksPerOffer, clock: cluster.clock)
            for group in framework.tasks where group.submitAt == .zero {
                try? await scheduler.submit(group, driver: nil)
            }
            let info = FrameworkInfo(name: framework.id, roles: [framework.role], priority: framework.priority)
            // A subscription is refused only for a malformed FrameworkInfo, which a checked trace cannot make.
            let driver = try? await cluster.connect(scheduler, as: info)
            schedulers.append((framework, scheduler, driver))
        }
        for (framework, scheduler, driver) in schedulers {
            guard let driver else { continue }
            for group in framework.tasks where group.submitAt > .zero {
                await cluster.at(group.submitAt) {
                    // The driver fails only once the framework is gone, and then nothing is left to submit to.
                    try? await scheduler.submit(group, driver: driver)
                }
            }
        }
        var infos: [AgentInfo] = []
        for agent in trace.agents {
            for copy in 1...agent.count {
                let hostname = agent.count == 1 ? agent.id : "\(agent.id)-\(copy)"
                infos.append(AgentInfo(hostname: hostname, resources: agent.resources, attributes: agent.attributes))
            }
        }
        await cluster.addAgents(infos)
        await cluster.run(until: trace.until)

        let snapshot = await cluster.snapshot()
        let total = snapshot.agents.filter(\.reachable).reduce(into: Resources()) { $0 += $1.info.resources }
        let builder = TimelineBuilder(total: total, until: trace.until)
        var logs: [(id: String, log: TraceLog)] = []
        var frameworks: [String: WorkloadFrameworkReport] = [:]
        var allWaits: [Duration] = []
        for (framework, scheduler, driver) in schedulers {
            let log = await scheduler.finalLog()
            logs.append((framework.id, log))
            allWaits += log.waits
            var held = Resources()
            var counters = FrameworkCounters()
            if let id = driver?.frameworkID { counters = await cluster.counters(of: id) }
            if let id = driver?.frameworkID, let entry = snapshot.frameworks.first(where: { $0.info.id == id }) {
                held = entry.allocated
                // Offers not yet answered are not in use.
                for offer in snapshot.offers where offer.frameworkID == id { held -= offer.resources }
            }
            frameworks[framework.id] = WorkloadFrameworkReport(
                tasksSubmitted: log.submitted, tasksLaunched: log.launched, tasksFinished: log.finished, tasksRunning: log.running,
                tasksPending: log.pending, tasksFailed: log.failed, preemptions: log.preempted,
                allocated: held.description, dominantShare: builder.dominantShare(of: held), wait: WorkloadWaitStatistics(waits: log.waits),
                offersReceived: counters.offersReceived, offersDeclined: counters.offersDeclined)
        }
        let (timeline, utilization) = builder.build(logs)
        return WorkloadPolicyReport(
            policy: policyName, untilSeconds: trace.until.seconds, frameworks: frameworks, utilization: utilization,
            wait: WorkloadWaitStatistics(waits: allWaits), preemptions: logs.reduce(0) { $0 + $1.log.preempted }, timeline: timeline)
    }

    /// Runs `trace` under each policy in turn (each on a fresh cluster).
    public static func run(_ trace: WorkloadTrace, policies: [WorkloadPolicy]) async -> WorkloadReport {
        var reports: [String: WorkloadPolicyReport] = [:]
        for policy in policies {
            reports[policy.rawValue] = await run(trace, policy: policy)
        }
        return WorkloadReport(policies: reports)
    }
}
