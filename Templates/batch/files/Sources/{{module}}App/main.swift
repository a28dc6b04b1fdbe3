import {{module}}
import RoostBatch
import RoostCluster
import RoostCore

// Runs a small piece of {{name}}Work on an embedded cluster (a master and two agents in this
// process, real processes in sandboxes) until the job succeeds or fails.
let work = {{name}}Work(
    name: "{{command}}-demo",
    command: "echo \"shard $SHARD of 6 on $(hostname)\"; sleep 1",
    shards: 6,
    parallelism: 3
)
let job = try work.batchJob()
let status = try await LocalCluster(agents: 2).run { running -> JobStatus? in
    let scheduler = try await {{name}}.scheduler()
    try await scheduler.submit(job)
    let driver = running.driver(for: await scheduler.frameworkInfo)
    print("{{command}}: job \(job.name), \(job.completions) shards, \(job.parallelism) at once; sandboxes in \(running.workDirectory)")
    return try await withThrowingTaskGroup(of: JobStatus?.self) { group in
        group.addTask {
            try await scheduler.run { try await driver.run($0) }
            return nil
        }
        group.addTask {
            while true {
                if let status = await scheduler.status(of: job.name), status.isFinished { return status }
                try await Task.sleep(for: .milliseconds(200))
            }
        }
        let first = try await group.next() ?? nil
        await driver.stop(failover: false)
        group.cancelAll()
        return first
    }
}
guard let status else { fatalError("the scheduler stopped before the job finished") }
print("{{command}}: job \(status.name): \(status.condition.kind.rawValue), \(status.succeeded) succeeded, \(status.failed) failed")
