import RoostAgent
import RoostCore
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// ``CommandExecutor/adopt(_:task:record:)``: supervising a process group the executor did not start.
@Suite(.timeLimit(.minutes(1)))
struct CommandExecutorAdoptionTests {
    @Test func anAdoptedGroupIsKilledWhole() async throws {
        try await withExecutor { executor, driver, directory in
            // Started by someone else (as by the agent before a restart): a leader and a child.
            let process = try await TaskProcess.launch(.init(command: .shell("sleep 1000 & wait"), workingDirectory: directory))
            let record = process.record
            defer { record.signalGroup(SIGKILL) }
            try await executor.adopt(driver, task: shellTask("adopted", "unused"), record: record)
            #expect(await executor.processRecords() == ["adopted": record])
            await executor.kill(driver, taskID: "adopted", gracePeriod: .seconds(2))
            let killed = try await driver.waitFor(state: .killed, task: "adopted")
            #expect(killed.exitCode == nil)
            #expect(await driver.states(for: "adopted") == [.killing, .killed])
            #expect(!record.isGroupAlive())
            #expect(await executor.runningTaskIDs.isEmpty)
        }
    }

    @Test func anAdoptedTasksHealthCheckGoesOnAndKillsItWhenItFails() async throws {
        try await withExecutor { executor, driver, directory in
            let process = try await TaskProcess.launch(.init(command: .shell("sleep 1000"), workingDirectory: directory))
            let record = process.record
            defer { record.signalGroup(SIGKILL) }
            let check = HealthCheck(.command(.shell("exit 1")), delay: .zero, interval: .milliseconds(50), timeout: .seconds(5), consecutiveFailures: 2, gracePeriod: .zero)
            var task = shellTask("sick", "unused", killGracePeriod: .milliseconds(100))
            task.healthCheck = check
            try await executor.adopt(driver, task: task, record: record)
            let killed = try await driver.waitFor(state: .killed, task: "sick")
            #expect(killed.reason == .taskUnhealthy)
            #expect(await driver.reports(for: "sick").contains { $0.state == .running && $0.healthy == false })
            #expect(!record.isGroupAlive())
        }
    }

    @Test func anAdoptedGroupThatEndsOnItsOwnIsLost() async throws {
        try await withExecutor { executor, driver, directory in
            let process = try await TaskProcess.launch(.init(command: .shell("exit 0"), workingDirectory: directory))
            #expect(await process.wait() == .exited(0))
            try await executor.adopt(driver, task: shellTask("gone", "unused"), record: process.record)
            let lost = try await driver.waitFor(state: .lost, task: "gone")
            #expect(lost.reason == .agentRestarted)
            #expect(await driver.states(for: "gone") == [.lost])
        }
    }
}
