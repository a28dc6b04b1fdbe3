import ArgumentParser
import Foundation
import RoostCore
import RoostTesting

/// `roost-bench simulate`: what a large simulated cluster costs in wall time.
struct SimulationBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Wall time of a SimulatedCluster with many agents: registering them and offering them all.",
        discussion: """
            Adds the agents (cpus:8;mem:16384 each), connects one framework that takes every offer \
            with two tasks of cpus:4;mem:8192 (a full allocation cycle over every agent), then frees \
            one agent and times the next cycle (only that agent is offered again).
            """
    )

    @Option(help: "Agents in the simulated cluster.")
    var agents = 100_000

    func run() async throws {
        let clock = ContinuousClock()
        let cluster = SimulatedCluster(configuration: .init(defaultBehavior: .runForever))
        var start = clock.now
        let ids = await cluster.addAgents(agents, resources: "cpus:8;mem:16384")
        let registering = start.duration(to: clock.now)

        let scheduler = FillingScheduler(tasksPerOffer: 2, resources: "cpus:4;mem:8192")
        start = clock.now
        let driver = try await cluster.connect(scheduler, as: FrameworkInfo(name: "filling"))
        let fullCycle = start.duration(to: clock.now)
        let framework = driver.frameworkID ?? "unknown"
        let launched = await cluster.counters(of: framework).tasksLaunched

        let victim = await cluster.runningTasks(on: ids[0])[framework]?.first ?? "unknown"
        start = clock.now
        await cluster.killTask(victim, of: framework)
        let oneAgentCycle = start.duration(to: clock.now)

        print("simulated agents                      \(agents.formatted())")
        print("register every agent                  \(milliseconds(registering)) ms")
        print("first cycle: offer all, launch \(launched.formatted()) tasks   \(milliseconds(fullCycle)) ms  (offers, accepts, launches, TASK_RUNNING updates and acknowledgements)")
        print("one task fails, its agent re-offered  \(milliseconds(oneAgentCycle)) ms")
    }

    private func milliseconds(_ duration: Duration) -> String {
        String(format: "%.1f", duration.seconds * 1_000)
    }
}

/// Launches `tasksPerOffer` tasks on every offer, forever.
actor FillingScheduler: Scheduler {
    let tasksPerOffer: Int
    let resources: Resources
    private var next = 0

    init(tasksPerOffer: Int, resources: Resources) {
        self.tasksPerOffer = tasksPerOffer
        self.resources = resources
    }

    func resourceOffers(_ driver: any SchedulerDriver, offers: [Offer]) async throws {
        for offer in offers {
            var tasks: [TaskInfo] = []
            var left = offer.resources
            while tasks.count < tasksPerOffer, left.contains(resources) {
                next += 1
                tasks.append(TaskInfo(id: TaskID("t\(next)"), resources: resources, command: .shell("true")))
                left -= resources
            }
            try await driver.launch(tasks, on: offer)
        }
    }
}
