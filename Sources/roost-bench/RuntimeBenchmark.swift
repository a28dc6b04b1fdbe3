import ArgumentParser
import Foundation
import RoostAgent
import RoostCluster
import RoostCore
import Logging
import RoostMaster

#if canImport(Glibc)
import Glibc
#endif

/// `roost-bench runtime`: tasks per second through the whole master/agent path.
struct RuntimeBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runtime",
        abstract: "Tasks launched and finished per second through master and agents.",
        discussion: """
            in-process: tasks run by an in-process executor that finishes them at once, so the \
            figure is the cost of offers, accepts, launches, status updates and acknowledgements. \
            real: every task is a /bin/true child process in its own sandbox and process group. \
            bare: a loop of posix_spawn + waitpid of /bin/true with nothing else, this machine's limit.
            """
    )

    @Option(help: "Tasks for the in-process run.")
    var inProcessTasks = 50_000

    @Option(help: "Tasks for the real-process run and the bare loop.")
    var processTasks = 2_000

    @Option(help: "Agents in the embedded cluster.")
    var agents = 2

    @Option(help: "Task isolation: none (process groups, the default here: what the runtime's targets are set for), cgroups, or auto.", transform: { try IsolationMode(parsing: $0) })
    var isolation: IsolationMode = .none

    @Flag(help: "Print one JSON object instead of a table.")
    var json = false

    func run() async throws {
        // Each cluster's work directory (sandboxes, checkpoints) is removed after its phase is
        // measured: clearing thousands of sandboxes is the benchmark's housekeeping, which the
        // rate's clock never counted, and the CPU figure should not either.
        let inProcessWork = Self.workDirectory()
        let realWork = Self.workDirectory()
        defer {
            for work in [inProcessWork, realWork] { try? FileManager.default.removeItem(atPath: work) }
        }
        let inProcess = try await measure(tasks: inProcessTasks) { try await throughput(tasks: inProcessTasks, executor: .inProcess, in: inProcessWork) }
        try? FileManager.default.removeItem(atPath: inProcessWork)
        let real = try await measure(tasks: processTasks) { try await throughput(tasks: processTasks, executor: .real, in: realWork) }
        try? FileManager.default.removeItem(atPath: realWork)
        let bare = try await measure(tasks: processTasks) { bareSpawnLoop(count: processTasks) }
        if json {
            let object: [String: Any] = [
                "inProcessTasksPerSecond": inProcess.perSecond, "inProcessCPUMicrosecondsPerTask": inProcess.cpuMicroseconds,
                "realTasksPerSecond": real.perSecond, "realCPUMicrosecondsPerTask": real.cpuMicroseconds,
                "bareSpawnsPerSecond": bare.perSecond, "bareCPUMicrosecondsPerSpawn": bare.cpuMicroseconds,
            ]
            print(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self))
        } else {
            print("path                                    per second   CPU per task (user+sys, with children)")
            print("master+agents, in-process executor   \(inProcess.row)   (\(inProcessTasks) tasks)")
            print("master+agents, real /bin/true         \(real.row)   (\(processTasks) tasks)")
            print("bare posix_spawn+waitpid loop         \(bare.row)   (\(processTasks) spawns)")
        }
    }

    /// A phase's rate and the CPU it cost per task, the repeatable figure on a shared machine.
    struct Figures {
        var perSecond: Double
        var cpuMicroseconds: Double
        var row: String {
            "\(Int(perSecond).formatted().padding(toLength: 10, withPad: " ", startingAt: 0))   \(Int(cpuMicroseconds)) µs"
        }
    }

    /// Runs `phase` (which returns its elapsed time) and adds the CPU time this process and its
    /// reaped children spent meanwhile.
    private func measure(tasks: Int, _ phase: () async throws -> Duration) async throws -> Figures {
        let before = cpuSeconds()
        let elapsed = try await phase()
        let cpu = cpuSeconds() - before
        return Figures(perSecond: Double(tasks) / elapsed.seconds, cpuMicroseconds: cpu / Double(tasks) * 1e6)
    }

    /// User and system time of this process and its reaped children, in seconds.
    private func cpuSeconds() -> Double {
        var total = 0.0
        for who in [RUSAGE_SELF, RUSAGE_CHILDREN].map({ Int32($0.rawValue) }) {
            var usage = rusage()
            getrusage(who, &usage)
            for time in [usage.ru_utime, usage.ru_stime] { total += Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
        }
        return total
    }

    enum ExecutorKind { case inProcess, real }

    /// A new folder's path under the temporary directory (`TMPDIR`); nothing is created.
    private static func workDirectory() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("roost-bench-\(UUID().uuidString)").path
    }

    /// Launches `tasks` tasks as fast as offers allow, on a cluster working in `work`, and
    /// times until all finished. Leaves `work` for the caller to remove.
    private func throughput(tasks: Int, executor: ExecutorKind, in work: String) async throws -> Duration {
        let cluster = LocalCluster(configuration: .init(
            agents: agents, agentResources: "cpus:64;mem:65536", workDirectory: work,
            statusUpdateRetry: .seconds(60), executors: ["instant": { _, _ in InstantExecutor() }], logger: quietLogger(),
            isolation: isolation))
        let task: TaskInfo = executor == .inProcess
            ? TaskInfo(id: "template", resources: "cpus:0.01;mem:1", executor: ExecutorInfo(id: "instant", name: "instant"))
            : TaskInfo(id: "template", resources: "cpus:0.01;mem:1", command: .argv(["/bin/true"]))
        let flood = FloodScheduler(total: tasks, template: task)
        let clock = ContinuousClock()
        let start = clock.now
        try await cluster.run { running in
            let driver = running.driver(for: FrameworkInfo(name: "bench"))
            await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await driver.run(flood) }
                await flood.waitUntilDone()
                await driver.stop(failover: false)
                group.cancelAll()
            }
        }
        return start.duration(to: clock.now)
    }

    /// posix_spawn + waitpid of /bin/true, `count` times: the machine's bare process rate.
    private func bareSpawnLoop(count: Int) -> Duration {
        let clock = ContinuousClock()
        let start = clock.now
        let path = "/bin/true"
        for _ in 0..<count {
            var pid: pid_t = 0
            let argv: [UnsafeMutablePointer<CChar>?] = [strdup(path), nil]
            defer { argv.forEach { free($0) } }
            guard posix_spawn(&pid, path, nil, nil, argv, environ) == 0 else { continue }
            var status: Int32 = 0
            _ = waitpid(pid, &status, 0)
        }
        return start.duration(to: clock.now)
    }
}

/// A logger that only reports errors, so the benchmark's output stays readable.
private func quietLogger() -> Logger {
    var logger = Logger(label: "roost-bench")
    logger.logLevel = .error
    return logger
}

/// Reports every task finished as soon as it is launched.
actor InstantExecutor: RoostCore.Executor {
    func launch(_ driver: any ExecutorDriver, task: TaskInfo) async throws {
        try await driver.sendStatusUpdate(TaskStatusReport(taskID: task.id, state: .running))
        try await driver.sendStatusUpdate(TaskStatusReport(taskID: task.id, state: .finished))
    }

    func kill(_ driver: any ExecutorDriver, taskID: TaskID, gracePeriod: Duration) async {
        try? await driver.sendStatusUpdate(TaskStatusReport(taskID: taskID, state: .killed))
    }

    func shutdown(_ driver: any ExecutorDriver, gracePeriod: Duration) async {}
}

/// Launches copies of a template into every offer until `total` were launched; counts finishes.
actor FloodScheduler: Scheduler {
    private let total: Int
    private let template: TaskInfo
    private var launched = 0
    private var suppressed = false
    private var finished = 0
    private var waiters: [CheckedContinuation<Void, Never>] = []

    init(total: Int, template: TaskInfo) {
        self.total = total
        self.template = template
    }

    func resourceOffers(_ driver: any SchedulerDriver, offers: [Offer]) async throws {
        for offer in offers {
            var left = offer.resources
            var tasks: [TaskInfo] = []
            while launched < total, left.contains(template.resources) {
                var task = template
                task.id = TaskID("t\(launched)")
                task.name = task.id.value
                tasks.append(task)
                left -= task.resources
                launched += 1
            }
            try await driver.launch(tasks, on: offer, filters: Filters(refuse: .zero))
        }
        // As a well-behaved framework does: no more offers once there is nothing to launch.
        if launched == total, !suppressed {
            suppressed = true
            try await driver.suppress()
        }
    }

    func statusUpdate(_ driver: any SchedulerDriver, status: TaskStatus) async throws {
        guard status.state.isTerminal else { return }
        finished += 1
        if finished == total {
            for waiter in waiters { waiter.resume() }
            waiters.removeAll()
        }
    }

    func waitUntilDone() async {
        if finished >= total { return }
        await withCheckedContinuation { waiters.append($0) }
    }
}
