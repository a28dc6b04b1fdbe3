import {{module}}
import Foundation
import RoostCluster
import RoostCore

// Runs a three-instance service on an embedded cluster (a master and two agents in this
// process, real processes in sandboxes) for a while, printing how many instances run.
// Each instance "crashes" after 8 s, to show the scheduler replacing it.
// `swift run {{command}} 60` runs for 60 s instead of 30.
let seconds = CommandLine.arguments.dropFirst().first.flatMap { Int($0) } ?? 30
let scheduler = {{name}}Scheduler(
    name: "{{command}}",
    command: "echo \"instance $INSTANCE serving on $(hostname)\"; sleep 8; echo 'instance crashing'; exit 1",
    instances: 3
)
let framework = FrameworkInfo(name: "{{command}}")
try await LocalCluster(agents: 2).run { running in
    let driver = running.driver(for: framework)
    print("{{command}}: keeping 3 instances running for \(seconds) s; sandboxes in \(running.workDirectory)")
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await driver.run(scheduler) }
        for second in 1...seconds {
            try await Task.sleep(for: .seconds(1))
            if second % 5 == 0 {
                print("{{command}}: \(second) s: \(await scheduler.runningInstances) running, \(await scheduler.replacements) replaced so far")
            }
        }
        await driver.stop(failover: false)   // tears the framework down: its tasks are killed
        try await group.waitForAll()
    }
}
print("{{command}}: stopped after \(seconds) s, \(await scheduler.replacements) instances replaced")
