import {{module}}
import Foundation
import RoostCluster
import RoostCore
import RoostService

// Runs a three-instance service on an embedded cluster (a master and two agents in this
// process, real processes in sandboxes), rolls it to release 2 after 10 s, and prints its
// instances every 2 s. `swift run {{command}} 60` runs for 60 s instead of 30.
let seconds = CommandLine.arguments.dropFirst().first.flatMap { Int($0) } ?? 30
let service = {{name}}Service(id: "{{command}}", command: "touch alive; echo \"release $RELEASE serving on $HOST\"; exec sleep 3600")
let scheduler = try await {{name}}.scheduler()
try await scheduler.deploy(try service.spec(release: "1"))
try await LocalCluster(agents: 2).run { running in
    let driver = running.driver(for: await scheduler.frameworkInfo)
    print("{{command}}: \(service.instances) instances for \(seconds) s; sandboxes in \(running.workDirectory)")
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await scheduler.run { try await driver.run($0) } }
        for second in 1...seconds {
            try await Task.sleep(for: .seconds(1))
            if second == 10 {
                print("{{command}}: rolling out release 2")
                try await scheduler.deploy(try service.spec(release: "2"))
            }
            if second % 2 == 0, let status = await scheduler.status(of: service.id) {
                let deployment = status.deployment.map { " | \($0.summary)" } ?? ""
                print("{{command}}: \(second) s: \(status.counts.healthy)/\(status.instances) healthy, \(status.counts.outdated) on an older release\(deployment)")
            }
        }
        await driver.stop(failover: false)   // tears the framework down: its instances are killed
        try await group.waitForAll()
    }
}
print("{{command}}: stopped after \(seconds) s")
