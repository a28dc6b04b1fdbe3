public import RoostCore

/// How an agent contains its tasks: what limits them, what a kill reaches, and what their
/// usage is. Chosen once when the agent starts (``IsolationMode``).
///
/// The command executor calls ``prepare(_:container:)`` before it starts a task's process
/// (the process joins the container before it runs the task's command), ``destroy(_:)``
/// once the task's process has ended or must be killed for good, ``limitation(of:)`` to
/// learn whether a limit ended the task, and ``usage(of:)`` to sample it.
public protocol Isolator: Sendable {
    /// What this isolator is, for the agent's log line and `state`.
    var kind: IsolationKind { get }

    /// Makes the container for a task and applies its limits from the task's resources.
    /// - Returns: what the task's process must do to enter it (for cgroups: the
    ///   `cgroup.procs` files to write its PID to before it runs the command).
    /// - Throws: ``IsolationError`` naming the file or limit that could not be set.
    func prepare(_ task: TaskInfo, container: ContainerID) throws(IsolationError) -> ContainerPlacement

    /// Kills every process left in the container (even ones that left the task's process
    /// group) and removes the container; returns when it is gone. Safe to call twice.
    func destroy(_ container: ContainerID) async

    /// The limit that ended the task, if one did (read before ``destroy(_:)``).
    func limitation(of container: ContainerID) -> ContainerLimitation?

    /// The container's current usage; `nil` when this isolator does not account for it.
    func usage(of container: ContainerID) -> ResourceUsage?

    /// Removes containers a previous agent with the same work directory left behind, except
    /// those in `keeping` (tasks the agent re-attached to); their processes are killed.
    func removeStale(keeping: Set<ContainerID>) async

    /// Removes what the agent made for itself (its parent cgroups) once no task is left.
    func close() async
}

/// The name of a task's container: unique per agent (`<framework>.<task>`).
public struct ContainerID: Hashable, Sendable, Comparable, CustomStringConvertible, Codable {
    /// The name, safe as a path segment.
    public var value: String

    /// The container of `task` of `framework`.
    public init(framework: FrameworkID, task: TaskID) {
        value = "\(framework.value).\(task.value)"
    }

    /// A container by its name.
    public init(_ value: String) { self.value = value }

    /// Orders by name.
    public static func < (lhs: ContainerID, rhs: ContainerID) -> Bool { lhs.value < rhs.value }
    /// The name.
    public var description: String { value }
}

/// What a task's process does to enter its container before it runs the task's command.
public struct ContainerPlacement: Hashable, Sendable {
    /// Files the process writes its own PID to (cgroup `cgroup.procs` files); empty when
    /// the isolator needs nothing (process groups).
    public var procsFiles: [String]

    /// A placement; see ``procsFiles``.
    public init(procsFiles: [String] = []) { self.procsFiles = procsFiles }
}

/// A limit that ended a task.
public struct ContainerLimitation: Hashable, Sendable, CustomStringConvertible {
    /// Which resource.
    public var resource: String
    /// The limit, in the resource's unit (bytes for memory).
    public var limit: Int64
    /// The reason to report (`REASON_CONTAINER_LIMITATION_MEMORY` for memory, as Mesos).
    public var reason: TaskStatus.Reason

    /// A limitation; see each property.
    public init(resource: String, limit: Int64, reason: TaskStatus.Reason) {
        self.resource = resource
        self.limit = limit
        self.reason = reason
    }

    /// `the memory limit of 64 MB was exceeded`, for the task's status message.
    public var description: String {
        resource == "mem"
            ? "the memory limit of \(limit / (1024 * 1024)) MB was exceeded; the kernel killed the task (give it more mem)"
            : "the \(resource) limit of \(limit) was exceeded"
    }
}

/// Which isolation an agent runs with.
public enum IsolationKind: String, Hashable, Sendable, Codable, CustomStringConvertible {
    /// cgroup v1 hierarchies (`memory`, `cpu`, `cpuacct`, `pids`, `freezer`).
    case cgroupsV1 = "cgroups-v1"
    /// The unified cgroup v2 hierarchy.
    case cgroupsV2 = "cgroups-v2"
    /// A process group per task, no limits.
    case processGroups = "process-groups"

    /// The raw value.
    public var description: String { rawValue }
}

/// What the agent's `--isolation` flag asks for.
public enum IsolationMode: String, Hashable, Sendable, Codable, CaseIterable {
    /// cgroups when they are available and writable, else process groups. The default.
    case auto
    /// cgroups, or the agent does not start.
    case cgroups
    /// Process groups only.
    case none
}

/// An isolation step that failed.
public struct IsolationError: CodedError, Hashable, Sendable {
    /// What kind of failure this is.
    public var code: ErrorCode<IsolationError>
    /// What failed, naming the file or limit.
    public var message: String

    /// An error with a code and a message naming the file or limit.
    public init(_ code: ErrorCode<IsolationError>, _ message: String) {
        self.code = code
        self.message = message
    }
}

extension ErrorCode where Domain == IsolationError {
    /// cgroups are not mounted with the needed controllers, or not writable.
    public static var unavailable: Self { Self("unavailable") }
    /// A cgroup could not be created, limited or removed.
    public static var cgroupFailed: Self { Self("cgroupFailed") }
}

extension IsolationMode {
    /// The mode named `text` (`auto`, `cgroups` or `none`), as the `--isolation` flag takes it.
    /// - Throws: ``InputError`` on `isolation` naming the allowed values.
    public init(parsing text: String) throws(InputError) {
        guard let mode = IsolationMode(rawValue: text) else {
            throw InputError(field: "isolation", "must be one of \(Self.allCases.map(\.rawValue).joined(separator: ", ")), not '\(text)'")
        }
        self = mode
    }

    /// The isolator this mode gives on this machine, and why when `auto` fell back to
    /// process groups.
    ///
    /// - Parameter agentName: the agent's name in cgroup paths; one per work directory (see
    ///   ``isolatorName(forWorkDirectory:)``).
    /// - Throws: ``IsolationError`` `.unavailable` for `.cgroups` when cgroups cannot be used.
    public func makeIsolator(agentName: String, enableCFSQuota: Bool = false) throws(IsolationError) -> (isolator: any Isolator, fallbackReason: String?) {
        switch self {
        case .none:
            return (ProcessGroupIsolator(), nil)
        case .cgroups:
            return (try CgroupsIsolator(configuration: .init(agentName: agentName, enableCFSQuota: enableCFSQuota)), nil)
        case .auto:
            do {
                return (try CgroupsIsolator(configuration: .init(agentName: agentName, enableCFSQuota: enableCFSQuota)), nil)
            } catch {
                return (ProcessGroupIsolator(), error.message)
            }
        }
    }

    /// A stable agent name for cgroup paths from the agent's work directory: `agent-` and 16
    /// hex digits of an FNV-1a hash of the path, so a restarted agent finds its cgroups again.
    public static func isolatorName(forWorkDirectory directory: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in directory.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return "agent-" + String(repeating: "0", count: 16 - hex.count) + hex
    }
}
