import {{module}}
import RoostCluster
import RoostCore
import RoostCron
import Foundation

// Runs two scheduled tasks on an embedded cluster (a master and two agents in this process,
// real processes in sandboxes) until the heartbeat has run twice and the report once.
// Cron fires on whole minutes, so this takes two to three minutes.
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
        // Until the heartbeat has run twice and the report once, print every run that ends.
        var printed: Set<String> = []
        while true {
            try await Task.sleep(for: .seconds(1))
            let statuses = await scheduler.statuses
            let finished = statuses.flatMap(\.history).sorted { $0.startedAt < $1.startedAt }
            for run in finished where printed.insert(run.jobName).inserted {
                print("{{command}}: \(run.jobName) (scheduled \(wallClock(run.scheduledTime))): \(run.outcome?.rawValue ?? "ended")")
            }
            let runs = Dictionary(statuses.map { ($0.name, $0.history.count) }, uniquingKeysWith: +)
            if runs["heartbeat", default: 0] >= 2, runs["report", default: 0] >= 1 { break }
        }
        await driver.stop(failover: false)
        group.cancelAll()
    }
}

/// `timestamp` as a UTC date and time.
func wallClock(_ timestamp: Timestamp) -> String {
    Date(timeIntervalSince1970: timestamp.secondsSinceEpoch).formatted(.iso8601)
}
