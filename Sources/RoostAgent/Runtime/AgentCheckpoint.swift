import Logging
import RoostCore

/// What an agent keeps in its checkpoint directory so that, restarted, it can find its tasks
/// again (Mesos' agent checkpointing).
///
/// Keys in the ``FileStateStore`` (values are JSON):
/// - `agent`: ``AgentRecord``, the ID the master gave the agent;
/// - `frameworks/<framework>`: the framework's `FrameworkInfo`;
/// - `tasks/<framework>/<task>`: ``TaskRecord``, the task as launched, its executor, its state,
///   its unacknowledged updates and, for command tasks, its process group's ``ProcessRecord``.
///
/// A task's key is written when it is launched, when its process starts, on every status
/// update and acknowledgement, and deleted once its terminal update is acknowledged.
enum AgentCheckpoint {
    /// The agent's own record.
    struct AgentRecord: Codable, Sendable {
        var agentID: AgentID
    }

    /// One task's record.
    struct TaskRecord: Codable, Sendable {
        var frameworkID: FrameworkID
        var task: TaskInfo
        var executorID: ExecutorID
        var state: TaskState
        var pending: [TaskStatus]
        var process: ProcessRecord?
    }

    static let agentKey: StateKey = "agent"
    static let frameworksKey: StateKey = "frameworks"
    static let tasksKey: StateKey = "tasks"

    static func frameworkKey(_ id: FrameworkID) -> StateKey? {
        try? frameworksKey.appending(id.value)
    }

    static func taskKey(_ framework: FrameworkID, _ task: TaskID) -> StateKey? {
        try? tasksKey.appending(framework.value).appending(task.value)
    }

    /// Writes to the store in the order they were asked for, from one owned task, so the
    /// agent never waits for the disk and a later value of a key never loses to an earlier one.
    final class Writer: Sendable {
        enum Write: Sendable {
            case put(StateKey, any Encodable & Sendable)
            case delete(StateKey)
            case flush(CheckedContinuation<Void, Never>)
        }

        let store: FileStateStore
        private let queue: AsyncStream<Write>.Continuation
        private let worker: Task<Void, Never>

        init(store: FileStateStore, logger: Logger) {
            self.store = store
            let (stream, queue) = AsyncStream.makeStream(of: Write.self)
            self.queue = queue
            worker = Task {
                for await write in stream {
                    do {
                        switch write {
                        case .put(let key, let value):
                            try await store.putJSON(key, value)
                        case .delete(let key):
                            _ = try await store.delete(key, expecting: .any)
                        case .flush(let continuation):
                            continuation.resume()
                        }
                    } catch {
                        logger.error("cannot write the agent's checkpoint; a restart may lose track of this task", metadata: ["error": "\(error)"])
                    }
                }
            }
        }

        func put(_ key: StateKey, _ value: some Encodable & Sendable) { queue.yield(.put(key, value)) }
        func delete(_ key: StateKey) { queue.yield(.delete(key)) }

        /// Writes what is queued, then stops; returns when the last write is done.
        func finish() async {
            queue.finish()
            await worker.value
        }
    }
}
