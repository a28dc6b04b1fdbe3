import ArgumentParser
import Foundation
import RoostBatch
import RoostCluster
import RoostCore
import RoostMaster

/// `roost demo`: the embedded cluster running four small frameworks on real processes.
struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the embedded cluster with four small frameworks on real processes (about 20-30 s).",
        discussion: """
            Two batch frameworks (the sample BatchScheduler) run jobs to completion: one job of \
            30 short tasks, 8 at a time, and an indexed job whose shards 0, 3 and 6 fail on their \
            first attempt and are retried after a back-off. The service framework (the sample \
            ServiceScheduler) keeps two instances healthy and ready, then rolls them to a new version \
            one at a time. The cron framework (the sample CronScheduler) runs a cron job every minute, \
            and starts one run at once so the demo need not wait for a minute boundary. All share \
            the agents by DRF. A progress line shows each framework's \
            tasks and dominant share; a summary table ends the run. Exits 0 when every framework \
            met its goal.
            """
    )

    @OptionGroup var options: ClusterOptions

    @Option(help: "Give up after this many seconds.")
    var timeout = 120

    func run() async throws {
        let logger = options.bootstrapLogging()
        let cluster = LocalCluster(configuration: try options.configuration(logger: logger))
        let started = ContinuousClock.now
        let (parts, metAll) = try await cluster.run { running in
            say("Roost demo: a master and \(running.agents.count) agents in this process, tasks as real processes")
            say("sandboxes: \(running.workDirectory)")
            say("isolation: \(running.isolationSummary)\n")
            let parts = try await Self.parts(running)
            var drivers: [InProcessSchedulerDriver] = []
            for part in parts { drivers.append(running.driver(for: await part.frameworkInfo)) }
            let met = try await withThrowingTaskGroup(of: Void.self) { group in
                for (part, driver) in zip(parts, drivers) {
                    group.addTask { try await part.run(driver) }
                }
                var met = false
                while ContinuousClock.now - started < .seconds(timeout) {
                    try await Task.sleep(for: .seconds(1))
                    await Self.progress(parts, master: running.master, elapsed: ContinuousClock.now - started)
                    var all = true
                    for part in parts where !(await part.goalMet) { all = false }
                    if all {
                        met = true
                        break
                    }
                }
                for driver in drivers { await driver.stop(failover: false) }
                group.cancelAll()
                return met
            }
            return (parts, met)
        }
        say()
        await Self.summary(parts, elapsed: ContinuousClock.now - started)
        if !metAll {
            say("\nnot every framework met its goal within \(timeout) s")
            throw ExitCode(1)
        }
        say("\nevery framework met its goal")
    }

    /// The demo's frameworks: two batch schedulers (one job each), a small service and the cron scheduler.
    static func parts(_ running: LocalCluster.Running) async throws -> [any DemoPart] {
        let directories = await running.agentDirectories()
        let batch = BatchJob(
            name: "batch", command: .shell("sleep 4; echo \"task $ROOST_TASK_ID done\""), resources: "cpus:0.2;mem:32",
            completions: 30, parallelism: 8)
        let flaky = BatchJob(
            name: "flaky",
            command: .shell("if [ $((ROOST_JOB_INDEX % 3)) -eq 0 ] && [ \"$ROOST_JOB_ATTEMPT\" -lt 2 ]; then echo 'failing on purpose' >&2; exit 1; fi; sleep 2; echo ok"),
            resources: "cpus:0.2;mem:32", completions: 8, parallelism: 4, completionMode: .indexed,
            backoffLimit: 6, backoff: .seconds(1), maxBackoff: .seconds(4))
        let master = running.master
        return [
            try await BatchDemoPart(job: batch, agentWorkDirectories: directories),
            try await BatchDemoPart(job: flaky, agentWorkDirectories: directories),
            try await ServiceDemoPart(explain: { id in await master.explain(id) }),
            try await CronDemoPart(agentWorkDirectories: directories),
        ]
    }

    static func progress(_ parts: [any DemoPart], master: Master, elapsed: Duration) async {
        let shares = Dictionary((await master.snapshot()?.frameworks ?? []).map { ($0.info.name, $0.dominantShare) }, uniquingKeysWith: { first, _ in first })
        var line: [String] = []
        for part in parts {
            line.append("\(part.name) \(await part.progress), share \(String(format: "%.2f", shares[part.name] ?? 0))")
        }
        say(String(format: "%5.1fs  ", elapsed.seconds) + line.joined(separator: " | "))
    }

    static func summary(_ parts: [any DemoPart], elapsed: Duration) async {
        let header = ["framework", "tasks", "launched", "finished", "failed", "killed", "goal", "met"]
        var rows: [[String]] = []
        for part in parts {
            let counts = await part.counts
            rows.append([
                part.name, "\(counts.tasks)", "\(counts.launched)", "\(counts.finished)", "\(counts.failed)", "\(counts.killed)",
                part.goal, await part.goalMet ? "yes" : "NO",
            ])
        }
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        for row in [header] + rows {
            say(row.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  "))
        }
        say(String(format: "finished in %.1f s", elapsed.seconds))
    }
}
