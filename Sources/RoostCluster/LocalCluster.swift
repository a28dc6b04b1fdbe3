import FoundationEssentials
public import Logging
public import RoostAgent
public import RoostAllocators
import RoostCoordination
public import RoostCore
public import RoostMaster

/// An embedded cluster: one master (with a static elector) and several agents in this
/// process, running tasks as real child processes in sandboxes under a work directory.
///
/// ```swift
/// try await LocalCluster(agents: 2).run(EchoScheduler(), as: FrameworkInfo(name: "echo"))
/// ```
public struct LocalCluster: Sendable {
    /// The cluster's settings.
    public struct Configuration: Sendable {
        /// How many agents to start. Default 2.
        public var agents: Int
        /// Each agent's resources; `nil` splits this machine evenly (``HostResources``).
        public var agentResources: Resources?
        /// The attributes of agent *i* (such as `rack: r1`). Default none.
        public var agentAttributes: @Sendable (Int) -> [String: String]
        /// Makes the allocation policy each time the master is elected. Default DRF.
        public var policy: @Sendable () -> any AllocatorPolicy
        /// Where sandboxes go: `<workDirectory>/agent-<i>/…`, with each agent's checkpoint in
        /// `<workDirectory>/agent-<i>/meta` (see ``Agent/Configuration/checkpointDirectory``). Default a new folder under the
        /// system's temporary directory; sandboxes are kept after the cluster stops.
        public var workDirectory: String?
        /// The master's timing (Mesos defaults; tests shorten them).
        public var master: Master.Configuration
        /// How often agents resend unacknowledged updates. Default 10 s (Mesos).
        public var statusUpdateRetry: Duration
        /// In-process executors every agent offers, by name.
        public var executors: [String: Agent.ExecutorFactory]
        /// Where the master, agents and executors log.
        public var logger: Logger
        /// How agents contain tasks. Default ``IsolationMode/auto``: cgroups (memory limit,
        /// CPU weight, kills that reach every process) where they are mounted and writable,
        /// else process groups, said once in the log.
        public var isolation: IsolationMode
        /// How often agents report their tasks' usage to the master. Default 10 s.
        public var usageInterval: Duration
        /// With cgroups, whether `cpus` is also a hard cap (CFS quota), as Mesos'
        /// `--cgroups_enable_cfs`. Default `false`.
        public var cgroupsEnableCFS: Bool

        /// Creates a configuration.
        public init(
            agents: Int = 2,
            agentResources: Resources? = nil,
            agentAttributes: @escaping @Sendable (Int) -> [String: String] = { _ in [:] },
            policy: @escaping @Sendable () -> any AllocatorPolicy = { DRFAllocator() },
            workDirectory: String? = nil,
            master: Master.Configuration = Master.Configuration(),
            statusUpdateRetry: Duration = .seconds(10),
            executors: [String: Agent.ExecutorFactory] = [:],
            logger: Logger = Logger(label: "roost.local"),
            isolation: IsolationMode = .auto,
            usageInterval: Duration = .seconds(10),
            cgroupsEnableCFS: Bool = false
        ) {
            self.cgroupsEnableCFS = cgroupsEnableCFS
            self.isolation = isolation
            self.usageInterval = usageInterval
            self.agents = agents
            self.agentResources = agentResources
            self.agentAttributes = agentAttributes
            self.policy = policy
            self.workDirectory = workDirectory
            self.master = master
            self.statusUpdateRetry = statusUpdateRetry
            self.executors = executors
            self.logger = logger
        }
    }

    /// The running cluster, handed to the body of ``run(_:)``.
    public struct Running: Sendable {
        /// The master.
        public let master: Master
        /// The agents.
        public let agents: [Agent]
        /// The work directory holding every agent's sandboxes.
        public let workDirectory: String

        /// A driver for a framework on this cluster; call its `run(_:)` with your scheduler.
        public func driver(for framework: FrameworkInfo) -> InProcessSchedulerDriver {
            InProcessSchedulerDriver(master: master, framework: framework)
        }
    }

    /// The settings.
    public let configuration: Configuration

    /// Creates a cluster with `agents` agents and otherwise default settings.
    public init(agents: Int = 2) { configuration = Configuration(agents: agents) }

    /// Creates a cluster.
    public init(configuration: Configuration) { self.configuration = configuration }

    /// Starts the master and agents, runs `body`, then stops everything: every task is
    /// killed (sandboxes are kept) and nothing is left running.
    /// - Throws: what `body` throws, or a ``LocalClusterError`` when the work directory
    ///   cannot be created.
    public func run<T: Sendable>(_ body: @Sendable (Running) async throws -> T) async throws -> T {
        let work = try makeWorkDirectory()
        let info = MasterInfo(id: MasterID("local-\(UUID().uuidString.prefix(8).lowercased())"), hostname: "localhost")
        let master = Master(info: info, policy: configuration.policy, elector: StaticLeaderElector(configuration: .init(leader: info)),
                            configuration: configuration.master, logger: configuration.logger)
        let shares = configuration.agentResources.map { Array(repeating: $0, count: configuration.agents) }
            ?? HostResources.shares(agents: configuration.agents, directory: work)
        var agents: [Agent] = []
        for index in 0..<configuration.agents {
            let directory = "\(work)/agent-\(index)"
            let logger = configuration.logger
            let isolator: any Isolator
            do {
                let made = try configuration.isolation.makeIsolator(
                    agentName: IsolationMode.isolatorName(forWorkDirectory: directory), enableCFSQuota: configuration.cgroupsEnableCFS)
                isolator = made.isolator
                if let reason = made.fallbackReason, index == 0 {
                    logger.notice("isolation: process groups only (no resource limits): \(reason)")
                }
            } catch {
                throw LocalClusterError(.isolation, "--isolation cgroups was asked for, but \(error.message)")
            }
            agents.append(Agent(
                configuration: .init(
                    hostname: "localhost", resources: shares[index], attributes: configuration.agentAttributes(index),
                    statusUpdateRetry: configuration.statusUpdateRetry, checkpointDirectory: "\(directory)/meta",
                    isolator: isolator, usageInterval: configuration.usageInterval),
                transport: InProcessAgentTransport(master: master),
                commandExecutor: { _, _ in CommandExecutor(configuration: .init(workDirectory: directory, logger: logger, isolator: isolator)) },
                executors: configuration.executors,
                clock: ContinuousClock(),
                logger: logger))
        }
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await master.run() }
            for agent in agents { group.addTask { await agent.run() } }
            defer { group.cancelAll() }
            // Wait (bounded) until every agent registered, so the body sees the whole cluster.
            let deadline = ContinuousClock.now + .seconds(30)
            while ContinuousClock.now < deadline {
                var registered = 0
                for agent in agents where await agent.agentID != nil { registered += 1 }
                if registered == agents.count { break }
                try await Task.sleep(for: .milliseconds(5))
            }
            let result = try await body(Running(master: master, agents: agents, workDirectory: work))
            group.cancelAll()
            try await group.waitForAll()
            return result
        }
    }

    /// Runs `scheduler` as `framework` until its driver is stopped (the scheduler calls
    /// `driver.stop(failover:)`) or the calling task is cancelled.
    /// - Throws: what the driver's `run` throws (the master refused the framework, or the
    ///   scheduler threw).
    public func run(_ scheduler: some Scheduler, as framework: FrameworkInfo) async throws {
        try await run { cluster in
            try await cluster.driver(for: framework).run(scheduler)
        }
    }

    private func makeWorkDirectory() throws -> String {
        let path = configuration.workDirectory ?? "\(FileManager.default.temporaryDirectory.path)/roost-local-\(UUID().uuidString.prefix(8).lowercased())"
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw LocalClusterError(.workDirectory, "cannot create the work directory \(path): \(error); pass another with --work-dir")
        }
        return path
    }
}

/// Why the embedded cluster could not start.
public struct LocalClusterError: CodedError, Hashable, Sendable {
    /// What kind of failure this is.
    public var code: ErrorCode<LocalClusterError>
    /// What went wrong and how to fix it.
    public var message: String

    /// Creates an error.
    public init(_ code: ErrorCode<LocalClusterError>, _ message: String) {
        self.code = code
        self.message = message
    }
}

extension ErrorCode where Domain == LocalClusterError {
    /// The work directory cannot be created.
    public static var workDirectory: Self { Self("workDirectory") }
    /// The isolation asked for is not available here.
    public static var isolation: Self { Self("isolation") }
}
