import ArgumentParser
import Foundation
import Logging
import RoostAgent
import RoostAllocators
import RoostCluster
import RoostCore

/// Options shared by `roost local` and `roost demo`.
struct ClusterOptions: ParsableArguments {
    @Option(help: "How many agents to start.")
    var agents = 2

    @Option(help: "The allocation policy: drf, fifo or priority.")
    var policy: PolicyName = .drf

    @Option(help: "Each agent's resources, e.g. 'cpus:2;mem:2048;ports:[31000-31100]' (default: a share of this machine).")
    var agentResources: String?

    @Option(help: "Where sandboxes go (default: a new folder under the temporary directory).")
    var workDir: String?

    @Option(help: "Log level on stderr: trace, debug, info, notice, warning, error, critical.")
    var logLevel: LogLevel = .warning

    @Option(help: "Task isolation: auto (cgroups where available, else process groups), cgroups, or none.", transform: { try IsolationMode(parsing: $0) })
    var isolation: IsolationMode = .auto

    @Flag(help: "With cgroups, make cpus a hard cap (CFS quota) as well as a weight, as Mesos' --cgroups_enable_cfs.")
    var cgroupsEnableCfs = false

    func validate() throws {
        guard (1...64).contains(agents) else { throw ValidationError("--agents must be between 1 and 64, not \(agents)") }
        if let agentResources {
            do { _ = try Resources(parsing: agentResources) } catch { throw ValidationError("--agent-resources: \(error)") }
        }
    }

    func configuration(logger: Logger) throws -> LocalCluster.Configuration {
        let policy = self.policy
        return LocalCluster.Configuration(
            agents: agents,
            agentResources: try agentResources.map { try Resources(parsing: $0) },
            policy: { policy.make() },
            workDirectory: workDir,
            logger: logger,
            isolation: isolation,
            cgroupsEnableCFS: cgroupsEnableCfs)
    }

    /// Sends log lines at `--log-level` and above to stderr.
    func bootstrapLogging() -> Logger { Self.bootstrapLogging(level: logLevel) }

    /// Sends log lines at `level` and above to stderr (for commands without the cluster options).
    static func bootstrapLogging(level logLevel: LogLevel) -> Logger {
        let level = Logger.Level(rawValue: logLevel.rawValue) ?? .warning
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        return Logger(label: "roost")
    }
}

/// The allocation policies the CLI can start.
enum PolicyName: String, ExpressibleByArgument, CaseIterable {
    case drf, fifo, priority

    func make() -> any AllocatorPolicy {
        switch self {
        case .drf: DRFAllocator()
        case .fifo: FIFOAllocator()
        case .priority: PriorityAllocator()
        }
    }
}

/// The `--log-level` values (swift-log's levels).
enum LogLevel: String, ExpressibleByArgument, CaseIterable {
    case trace, debug, info, notice, warning, error, critical
}

/// Writes a line to stdout at once (no buffering), so progress reaches a pipe — a log
/// collector, a test — as it happens.
func say(_ line: String = "") {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}


extension LocalCluster.Running {
    /// `cgroups-v1 (memory limit, CPU weight, kills reach every process)` or why not.
    var isolationSummary: String {
        switch agents.first?.isolation ?? .processGroups {
        case .cgroupsV1, .cgroupsV2: "\(agents.first?.isolation.rawValue ?? "") (tasks get a memory limit and a CPU weight; a kill reaches every process they start)"
        case .processGroups: "process groups (no resource limits; cgroups are not available or not asked for)"
        }
    }
}
