import Logging
import RoostCore
import Synchronization

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

    /// Writes to the store from one owned task, so the agent never waits for the disk, and
    /// keeps only the latest write of each key that is still waiting.
    ///
    /// When writes come faster than the disk takes them, a key's queued value is replaced by
    /// a newer one, and a task whose record is put and then deleted before the put ran (a
    /// short task under load) costs one `unlink` of a missing file instead of creating a
    /// file and removing it. A key's latest value always wins; writes of different keys are
    /// independent records, so their relative order does not matter for recovery.
    final class Writer: Sendable {
        enum Write: Sendable {
            case put(any Encodable & Sendable)
            case delete
        }

        private struct Queue {
            /// Keys in the order they were first queued, each with its latest write.
            var order: [StateKey] = []
            var writes: [StateKey: Write] = [:]
            var isFinished = false
        }

        /// The queue, shared by the writer and its worker task.
        private final class SharedQueue: Sendable {
            let mutex = Mutex(Queue())
        }

        let store: FileStateStore
        private let queue = SharedQueue()
        /// Wakes the worker; pokes while it works coalesce into one.
        private let wake: AsyncStream<Void>.Continuation
        private let worker: Task<Void, Never>

        init(store: FileStateStore, logger: Logger) {
            self.store = store
            let (wakes, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
            self.wake = wake
            worker = Task { [queue] in
                var wakeups = wakes.makeAsyncIterator()
                while true {
                    let (batch, finished) = queue.mutex.withLock { queue in
                        defer {
                            queue.order.removeAll(keepingCapacity: true)
                            queue.writes.removeAll(keepingCapacity: true)
                        }
                        return (queue.order.compactMap { key in queue.writes[key].map { (key, $0) } }, queue.isFinished)
                    }
                    for (key, write) in batch {
                        do {
                            switch write {
                            case .put(let value): try await store.putJSON(key, value)
                            case .delete: _ = try await store.delete(key, expecting: .any)
                            }
                        } catch {
                            logger.error("cannot write the agent's checkpoint; a restart may lose track of this task", metadata: ["key": "\(key)", "error": "\(error)"])
                        }
                    }
                    if finished { return }
                    if batch.isEmpty, await wakeups.next() == nil { return }
                }
            }
        }

        func put(_ key: StateKey, _ value: some Encodable & Sendable) { enqueue(key, .put(value)) }
        func delete(_ key: StateKey) { enqueue(key, .delete) }

        private func enqueue(_ key: StateKey, _ write: Write) {
            queue.mutex.withLock { queue in
                if queue.writes.updateValue(write, forKey: key) == nil { queue.order.append(key) }
            }
            wake.yield()
        }

        /// Writes what is queued, then stops; returns when the last write is done.
        func finish() async {
            queue.mutex.withLock { $0.isFinished = true }
            wake.yield()
            await worker.value
        }
    }
}
