import RoostCore

/// Keeps `instances` copies of a long-running command running, as Marathon or a Kubernetes
/// Deployment does: each instance has a slot (0 ..< instances); a slot without a live task gets
/// one from the next offer that has room, so an instance that exits, fails, is killed or is
/// lost with its agent is replaced. ``scale(to:)`` changes the count while it runs.
///
/// Each task is told its slot in the environment variable `INSTANCE`.
public actor {{name}}Scheduler: Scheduler {
    /// The service's name; its tasks are named `<name>-<slot>-<launch number>`.
    public let name: String
    /// The shell command each instance runs; it is expected to run until killed.
    public let command: String
    /// What each instance asks for.
    public let resourcesPerInstance: Resources

    /// How many instances should run.
    public private(set) var instances: Int
    /// The live task in each slot (launched and not yet terminal).
    private var tasks: [Int: TaskID] = [:]
    /// The slot of each live task.
    private var slotOfTask: [TaskID: Int] = [:]
    /// Tasks that reported `TASK_RUNNING` and have not ended since.
    private var runningTasks: Set<TaskID> = []
    /// Launches so far, numbering tasks so that a replacement never reuses an ID.
    private var launches = 0
    /// Instances that ended while they were wanted and were replaced (or are waiting to be).
    public private(set) var replacements = 0
    /// The driver from the last (re)registration, for ``scale(to:)``.
    private var driver: (any SchedulerDriver)?

    /// A service running `command` in `instances` copies, each asking for `resourcesPerInstance`.
    public init(name: String, command: String, instances: Int, resourcesPerInstance: Resources = "cpus:0.1;mem:32") {
        self.name = name
        self.command = command
        self.instances = max(0, instances)
        self.resourcesPerInstance = resourcesPerInstance
    }

    /// How many instances report `TASK_RUNNING` now.
    public var runningInstances: Int { runningTasks.count }

    /// The slots that have no live task.
    private var emptySlots: [Int] { (0..<instances).filter { tasks[$0] == nil } }

    /// Changes how many instances should run: more are launched from the next offers, the
    /// highest slots beyond the new count are killed.
    /// - Throws: what the driver throws (not registered, stopped).
    public func scale(to count: Int) async throws {
        instances = max(0, count)
        guard let driver else { return }
        for (slot, task) in tasks where slot >= instances {
            try await driver.kill(task)
        }
        if !emptySlots.isEmpty { try await driver.revive() }
    }

    /// Remembers the driver for ``scale(to:)``.
    public func registered(_ driver: any SchedulerDriver, frameworkID: FrameworkID, master: MasterInfo) async throws {
        self.driver = driver
    }

    /// Remembers the driver for ``scale(to:)``; the SDK reconciles the tasks after this.
    public func reregistered(_ driver: any SchedulerDriver, master: MasterInfo) async throws {
        self.driver = driver
    }

    /// Fills empty slots from the offers; declines what is left and suppresses when every slot is filled.
    public func resourceOffers(_ driver: any SchedulerDriver, offers: [Offer]) async throws {
        for offer in offers {
            var left = offer.resources
            var launch: [TaskInfo] = []
            while let slot = emptySlots.first, left.contains(resourcesPerInstance) {
                launches += 1
                let id = TaskID("\(name)-\(slot)-\(launches)")
                tasks[slot] = id
                slotOfTask[id] = slot
                launch.append(TaskInfo(id: id, resources: resourcesPerInstance, command: .shell(command), environment: ["INSTANCE": "\(slot)"]))
                left -= resourcesPerInstance
            }
            try await driver.launch(launch, on: offer)
        }
        if emptySlots.isEmpty { try await driver.suppress() }
    }

    /// Tracks running instances; frees the slot of an instance that ended and asks for offers
    /// to replace it if the slot is still wanted.
    public func statusUpdate(_ driver: any SchedulerDriver, status: TaskStatus) async throws {
        guard let slot = slotOfTask[status.taskID] else { return }
        if status.state == .running {
            runningTasks.insert(status.taskID)
            return
        }
        guard status.state.isTerminal else { return }
        slotOfTask[status.taskID] = nil
        runningTasks.remove(status.taskID)
        tasks[slot] = nil
        if slot < instances {
            replacements += 1
            try await driver.revive()
        }
    }
}
