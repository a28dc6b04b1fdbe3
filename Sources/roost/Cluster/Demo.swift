import ArgumentParser
import Foundation
import RoostCluster
import RoostCore
import RoostMaster

/// `roost demo`: the embedded cluster running three small frameworks on real processes.
struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the embedded cluster with three small frameworks on real processes (about 20-30 s).",
        discussion: """
            A batch framework runs 30 short jobs, a flaky one retries tasks that fail on their \
            first attempt, and a service keeps two long-running processes up, all sharing the \
            agents by DRF. A progress line shows each framework's tasks and dominant share; a \
            summary table ends the run. Exits 0 when every framework met its goal.
            """
    )

    @OptionGroup var options: ClusterOptions

    @Option(help: "Give up after this many seconds.")
    var timeout = 120

    func run() async throws {
        let logger = options.bootstrapLogging()
        let cluster = LocalCluster(configuration: try options.configuration(logger: logger))
        let frameworks = Self.frameworks()
        let started = ContinuousClock.now
        let metAll = try await cluster.run { running in
            say("Roost demo: a master and \(running.agents.count) agents in this process, tasks as real processes")
            say("sandboxes: \(running.workDirectory)\n")
            let drivers = frameworks.map { running.driver(for: FrameworkInfo(name: $0.name)) }
            return try await withThrowingTaskGroup(of: Void.self) { group in
                for (framework, driver) in zip(frameworks, drivers) {
                    group.addTask { try await driver.run(framework) }
                }
                var met = false
                while ContinuousClock.now - started < .seconds(timeout) {
                    try await Task.sleep(for: .seconds(1))
                    await Self.progress(frameworks, master: running.master, elapsed: ContinuousClock.now - started)
                    var all = true
                    for framework in frameworks where !(await framework.goalMet) { all = false }
                    if all {
                        met = true
                        break
                    }
                }
                for driver in drivers { await driver.stop(failover: false) }
                group.cancelAll()
                return met
            }
        }
        say()
        await Self.summary(frameworks, elapsed: ContinuousClock.now - started)
        if !metAll {
            say("\nnot every framework met its goal within \(timeout) s")
            throw ExitCode(1)
        }
        say("\nevery framework met its goal")
    }

    static func frameworks() -> [DemoFramework] {
        let batch = (0..<30).map { index in
            TaskInfo(id: TaskID("job-\(index)"), resources: "cpus:0.2;mem:32",
                     command: .shell("sleep 4; echo \"job \(index) done on attempt $ROOST_ATTEMPT\""))
        }
        let flaky = (0..<8).map { index in
            TaskInfo(id: TaskID("flaky-\(index)"), resources: "cpus:0.2;mem:32",
                     command: .shell("if [ \(index % 3) -eq 0 ] && [ \"$ROOST_ATTEMPT\" -lt 2 ]; then echo 'failing on purpose' >&2; exit 1; fi; sleep 2; echo ok"))
        }
        let service = (0..<2).map { index in
            TaskInfo(id: TaskID("web-\(index)"), resources: "cpus:0.2;mem:64", command: .shell("exec sleep 3600"), killGracePeriod: .seconds(1))
        }
        return [
            DemoFramework(name: "batch", goal: .finishAll, tasks: batch),
            DemoFramework(name: "flaky", goal: .finishAll, tasks: flaky),
            DemoFramework(name: "service", goal: .keepRunning, tasks: service),
        ]
    }

    static func progress(_ frameworks: [DemoFramework], master: Master, elapsed: Duration) async {
        let shares = Dictionary((await master.snapshot()?.frameworks ?? []).map { ($0.info.name, $0.dominantShare) }, uniquingKeysWith: { first, _ in first })
        var parts: [String] = []
        for framework in frameworks {
            let share = String(format: "%.2f", shares[framework.name] ?? 0)
            switch framework.goal {
            case .finishAll:
                parts.append("\(framework.name) \(await framework.finished)/\(framework.total) done, \(await framework.running) running, \(await framework.retries) retried, share \(share)")
            case .keepRunning:
                parts.append("\(framework.name) \(await framework.running)/\(framework.total) up, share \(share)")
            }
        }
        say(String(format: "%5.1fs  ", elapsed.seconds) + parts.joined(separator: " | "))
    }

    static func summary(_ frameworks: [DemoFramework], elapsed: Duration) async {
        let header = ["framework", "tasks", "launched", "finished", "failed", "killed", "goal", "met"]
        var rows: [[String]] = []
        for framework in frameworks {
            rows.append([
                framework.name, "\(framework.total)", "\(await framework.launched)", "\(await framework.finished)",
                "\(await framework.failed)", "\(await framework.killed)", framework.goal.description, await framework.goalMet ? "yes" : "NO",
            ])
        }
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        for row in [header] + rows {
            say(row.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  "))
        }
        say(String(format: "finished in %.1f s", elapsed.seconds))
    }
}
