import {{module}}
import Foundation
import RoostCore
import Synchronization
import Testing

/// An `ExecutorDriver` without an agent: records what the executor reports.
final class RecordingExecutorDriver: ExecutorDriver {
    let frameworkID: FrameworkID = "framework-1"
    let agentID: AgentID = "agent-1"
    let executorID = ExecutorID({{name}}Executor.name)
    private let recorded = Mutex<[TaskStatusReport]>([])

    /// Every report so far, in order.
    var reports: [TaskStatusReport] { recorded.withLock { $0 } }

    func sendStatusUpdate(_ report: TaskStatusReport) async throws(ExecutorDriverError) {
        recorded.withLock { $0.append(report) }
    }

    func sendFrameworkMessage(_ data: Data) async throws(ExecutorDriverError) {}
}

/// {{name}}Executor on its own, as an agent would call it.
@Suite struct {{name}}ExecutorTests {
    @Test func itCountsTheWordsAndFinishes() async throws {
        let driver = RecordingExecutorDriver()
        let task = TaskInfo(id: "count-1", resources: "cpus:0.1;mem:32", executor: {{name}}Executor.info,
                            labels: [{{name}}Executor.textLabel: "the quick  brown\nfox"])
        try await {{name}}Executor().launch(driver, task: task)

        #expect(driver.reports.map(\.state) == [.starting, .running, .finished])
        #expect(driver.reports.last?.message == "4 words")
        #expect(driver.reports.allSatisfy { $0.taskID == "count-1" })
    }

    @Test func aTaskWithoutTextFails() async throws {
        let driver = RecordingExecutorDriver()
        let task = TaskInfo(id: "count-2", resources: "cpus:0.1;mem:32", executor: {{name}}Executor.info)
        try await {{name}}Executor().launch(driver, task: task)

        #expect(driver.reports.last?.state == .failed)
        #expect(driver.reports.last?.message?.contains("text") == true)
    }
}
