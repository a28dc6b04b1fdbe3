import ArgumentParser
import Foundation
import RoostAgent
import RoostCore

/// The agent journal's encoding of a task's record: `JSONEncoder` against the streaming encoder.
struct JournalBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "journal",
        abstract: "Encoding one task's checkpoint record: JSONEncoder against the agent's streaming encoder.",
        discussion: """
            The record is what the agent appends to its task journal when a command task's \
            process starts: the task (a command, two scalar resources), its executor, its state, \
            the unacknowledged TASK_STARTING update and the process record.
            """)

    @Option(help: "Records encoded by each encoder, after as many to warm up.")
    var records = 20_000

    func run() throws {
        var task = TaskInfo(id: "t123", resources: "cpus:0.01;mem:1", command: .argv(["/bin/true"]))
        task.agentID = "agent-1"
        let record = AgentCheckpoint.TaskRecord(
            frameworkID: "fw-1", task: task, executorID: "roost-command-executor", state: .starting,
            pending: [TaskStatus(taskID: "t123", state: .starting, source: .executor, agentID: "agent-1", uuid: UUID(), timestamp: Timestamp(secondsSinceEpoch: 1e9))],
            process: ProcessRecord(pid: 1234, processGroupID: 1234, startTime: 999_999, bootID: "8e1f7a6e-6d3c-4b1e-9f0e-3a3c2b1d0e9f"))
        let json = JSONEncoder()
        let streaming = StreamingJSONEncoder()
        let jsonTime = try time { _ = try json.encode(record) }
        let streamingTime = try time { _ = try streaming.encode(record) }
        print("encoder              µs per record")
        print("JSONEncoder          \(String(format: "%.2f", jsonTime))")
        print("streaming (journal)  \(String(format: "%.2f", streamingTime))")
    }

    /// Microseconds per call of `body`, after as many calls to warm up.
    private func time(_ body: () throws -> Void) throws -> Double {
        for _ in 0..<records { try body() }
        let clock = ContinuousClock()
        let start = clock.now
        for _ in 0..<records { try body() }
        let elapsed = start.duration(to: clock.now)
        return (Double(elapsed.components.seconds) * 1e6 + Double(elapsed.components.attoseconds) / 1e12) / Double(records)
    }
}
