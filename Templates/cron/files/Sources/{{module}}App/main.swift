import {{module}}
import RoostCluster
import RoostCore
import RoostCron

// Runs two scheduled tasks on an embedded cluster (a master and two agents in this process,
// real processes in sandboxes) until the next two minutes have fired, then stops.
// Cron fires on whole minutes, so this takes one to two minutes.
let tasks = [
    {{name}}Task(name: "heartbeat", schedule: "* * * * *", command: "echo \"{{command}} alive at $(date -u +%T)\""),
    {{name}}Task(name: "report", schedule: "*/2 * * * *", command: "echo \"report from $(hostname)\"; sleep 2"),
]
try await LocalCluster(agents: 2).run { running in
    let scheduler = try await {{name}}.scheduler()
    for task in tasks { try await scheduler.add(try task.cronJob()) }
    let driver = running.driver(for: await scheduler.frameworkInfo)
    print("{{command}}: \(tasks.map { "\($0.name) (\($0.schedule))" }.joined(separator: ", ")); sandboxes in \(running.workDirectory)")
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await scheduler.run { try await driver.run($0) } }
        var reported = 0
        while reported < 2 {
            try await Task.sleep(for: .seconds(1))
            let finished = await scheduler.status(of: "heartbeat")?.history.count ?? 0
            if finished > reported {
                reported = finished
                for status in await scheduler.statuses {
                    let last = status.history.first.map { "\($0.jobName): \($0.outcome?.rawValue ?? "running")" } ?? "no run yet"
                    print("{{command}}: \(status.name): last \(last), next at \(status.nextRunTime.map { "\($0)" } ?? "never")")
                }
            }
        }
        await driver.stop(failover: false)
        group.cancelAll()
    }
}
