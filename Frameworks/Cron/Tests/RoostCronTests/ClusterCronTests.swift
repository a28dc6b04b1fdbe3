import Foundation
import Logging
import RoostAgent
import RoostBatch
import RoostCluster
import RoostCore
import RoostCron
import RoostMaster
import RoostTesting
import Testing

/// The cron scheduler on an embedded cluster with real processes, its time on a manual clock.
///
/// Waits are long (45 s) because other suites in the same process can hold both threads of a
/// small machine for many seconds; a passing run takes a few.
@Suite(.timeLimit(.minutes(2)))
struct ClusterCronTests {
    @Test func aScheduledRunFiresAndItsBatchJobSucceeds() async throws {
        let work = "\(NSTemporaryDirectory())roost-cron-cluster-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let logger = {
            var logger = Logger(label: "roost.cron.test")
            logger.logLevel = .warning
            return logger
        }()
        let cluster = LocalCluster(configuration: .init(
            agents: 1, agentResources: "cpus:1;mem:512", workDirectory: work, statusUpdateRetry: .milliseconds(200), logger: logger))
        let clock = ManualClock()
        let time = FrameworkTime(clock, origin: clock.now, at: origin)
        try await cluster.run { running in
            var directories: [AgentID: String] = [:]
            for (index, agent) in running.agents.enumerated() {
                if let id = await agent.agentID { directories[id] = "\(running.workDirectory)/agent-\(index)" }
            }
            let scheduler = try await CronScheduler(configuration: .init(
                time: time, declineFilter: .seconds(1), agentWorkDirectories: directories, logger: logger))
            try await scheduler.add(cronJob("hello", "*/5 * * * *", command: "echo \"hello from $ROOST_JOB_NAME\""))
            let driver = running.driver(for: await scheduler.frameworkInfo)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await scheduler.run { try await driver.run($0) } }
                try await waitUntil("the timer armed for +300 s", timeout: .seconds(45)) { clock.nextDeadline == .init(offset: .seconds(300)) }
                #expect(await scheduler.batch.statuses.isEmpty, "nothing runs before its time")
                clock.advance(by: .seconds(300))
                try await waitUntil("the run recorded as succeeded", timeout: .seconds(45)) {
                    await scheduler.status(of: "hello")?.history.first?.outcome == .succeeded
                }
                let run = try #require(await scheduler.status(of: "hello")?.history.first)
                #expect(run.jobName == "hello-1800000300" && run.startedAt == t(300))
                let job = try #require(await scheduler.batch.status(of: run.jobName))
                let task = try #require(job.tasks.first)
                let stdout = try String(contentsOfFile: "\(task.sandbox)/stdout", encoding: .utf8)
                #expect(stdout.contains("hello from hello-1800000300"))
                #expect(await scheduler.status(of: "hello")?.nextRunTime == t(600))
                await driver.stop(failover: false)
                do { try await group.waitForAll() } catch let error as SchedulerDriverError where error.code == .failedOver {
                    // The teardown's "framework removed" event may reach the driver's loop first; we asked for it.
                }
            }
        }
    }
}
