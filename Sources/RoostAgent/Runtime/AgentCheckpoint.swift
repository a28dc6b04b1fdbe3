import FoundationEssentials
import Logging
package import RoostCore
import Synchronization

/// What an agent keeps in its checkpoint directory so that, restarted, it can find its tasks
/// again (Mesos' agent checkpointing).
///
/// Keys in the ``FileStateStore`` (values are JSON):
/// - `agent`: ``AgentRecord``, the ID the master gave the agent;
/// - `frameworks/<framework>`: the framework's `FrameworkInfo`;
///
/// and in the ``TaskJournal`` beside them (one file, appended to):
/// - `tasks/<framework>/<task>`: ``TaskRecord``, the task as launched, its executor, its state,
///   its unacknowledged updates and, for command tasks, its process group's ``ProcessRecord``.
///   (Agents before the journal kept these as store keys; recovery moves them to the journal.)
///
/// A task's key is written when it is launched, when its process starts, on every status
/// update and acknowledgement, and deleted once its terminal update is acknowledged.
package enum AgentCheckpoint {
    /// The agent's own record.
    struct AgentRecord: Codable, Sendable {
        var agentID: AgentID
    }

    /// One task's record (`package`, for the journal benchmark).
    package struct TaskRecord: Codable, Sendable {
        var frameworkID: FrameworkID
        var task: TaskInfo
        var executorID: ExecutorID
        var state: TaskState
        var pending: [TaskStatus]
        var process: ProcessRecord?

        package init(frameworkID: FrameworkID, task: TaskInfo, executorID: ExecutorID, state: TaskState, pending: [TaskStatus], process: ProcessRecord?) {
            self.frameworkID = frameworkID
            self.task = task
            self.executorID = executorID
            self.state = state
            self.pending = pending
            self.process = process
        }
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

    /// Whether `key` is a task's, kept in the journal.
    static func isTaskKey(_ key: StateKey) -> Bool {
        key.segments.count == 3 && key.hasPrefix(tasksKey)
    }

    /// Writes to the store from one owned task, so the agent never waits for the disk, and
    /// keeps only the latest write of each key that is still waiting.
    ///
    /// When writes come faster than the disk takes them, a key's queued value is replaced by
    /// a newer one, and a task whose record is put and then deleted before the put ran (a
    /// short task under load) costs one `unlink` of a missing file instead of creating a
    /// file and removing it. A key's latest value always wins; writes of different keys are
    /// independent records, so their relative order does not matter for recovery. Task keys
    /// go to the journal, a batch of them in one append; the others to the store.
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

        init(store: FileStateStore, journal: TaskJournal, logger: Logger) {
            self.store = store
            let (wakes, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
            self.wake = wake
            worker = Task { [queue] in
                var journal = journal
                let encoder = JSONEncoder()
                var wakeups = wakes.makeAsyncIterator()
                while true {
                    let (batch, finished) = queue.mutex.withLock { queue in
                        defer {
                            queue.order.removeAll(keepingCapacity: true)
                            queue.writes.removeAll(keepingCapacity: true)
                        }
                        return (queue.order.compactMap { key in queue.writes[key].map { (key, $0) } }, queue.isFinished)
                    }
                    Self.journal(batch, into: &journal, encoder: encoder, logger: logger)
                    for (key, write) in batch where !AgentCheckpoint.isTaskKey(key) {
                        do {
                            switch write {
                            case .put(let value): try await store.putJSON(key, value)
                            case .delete: _ = try await store.delete(key, expecting: .any)
                            }
                        } catch {
                            logger.error("cannot write the agent's checkpoint; a restart may lose track of this task", metadata: ["key": "\(key)", "error": "\(error)"])
                        }
                    }
                    var done = finished
                    if !done, batch.isEmpty { done = await wakeups.next() == nil }
                    if done {
                        journal.close()
                        return
                    }
                }
            }
        }

        /// Appends the batch's task-key writes to the journal, in one `write`.
        private static func journal(_ batch: [(StateKey, Write)], into journal: inout TaskJournal, encoder: JSONEncoder, logger: Logger) {
            var records: [(key: String, value: [UInt8]?)] = []
            for (key, write) in batch where AgentCheckpoint.isTaskKey(key) {
                switch write {
                case .put(let value):
                    do {
                        records.append((key.path, try encode(value, encoder: encoder)))
                    } catch {
                        logger.error("cannot encode a task's checkpoint record; a restart may lose track of this task", metadata: ["key": "\(key)", "error": "\(error)"])
                    }
                case .delete:
                    records.append((key.path, nil))
                }
            }
            do {
                try journal.append(records)
            } catch {
                logger.error("cannot write the agent's task journal; a restart may lose track of these tasks", metadata: ["error": "\(error.message)"])
            }
        }

        /// The JSON of a record: written straight to bytes, else (a value that one refuses or
        /// fails on) by `JSONEncoder`, whose error is the one reported; both read back with
        /// `JSONDecoder`.
        private static func encode(_ value: some Encodable, encoder: JSONEncoder) throws -> [UInt8] {
            if let bytes = try? StreamingJSONEncoder().encode(value) { return bytes }
            return [UInt8](try encoder.encode(value))
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
