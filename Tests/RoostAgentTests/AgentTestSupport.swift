import Foundation
import RoostAgent
import RoostCore
import RoostTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A test failure with a message that says what was expected and what happened.
struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// An ``ExecutorDriver`` that records every report, checks it against the Mesos state machine
/// as the agent would, and lets a test wait for a particular one.
actor RecordingDriver: ExecutorDriver {
    nonisolated let frameworkID: FrameworkID
    nonisolated let agentID: AgentID
    nonisolated let executorID: ExecutorID

    private(set) var reports: [TaskStatusReport] = []
    private var states: [TaskID: TaskState] = [:]
    private var waiters: [(id: UInt64, matches: @Sendable (TaskStatusReport) -> Bool, continuation: CheckedContinuation<TaskStatusReport?, Never>)] = []
    private var nextWaiter: UInt64 = 0

    init(frameworkID: FrameworkID = "framework-1", agentID: AgentID = "agent-1", executorID: ExecutorID = "executor-1") {
        self.frameworkID = frameworkID
        self.agentID = agentID
        self.executorID = executorID
    }

    func sendStatusUpdate(_ report: TaskStatusReport) async throws(ExecutorDriverError) {
        let current = states[report.taskID, default: .staging]
        guard current.canTransition(to: report.state) else {
            Issue.record("illegal transition for \(report.taskID): \(current) -> \(report.state) (\(report.message ?? ""))")
            throw ExecutorDriverError(.illegalTransition, "\(report.taskID): \(current) -> \(report.state)")
        }
        states[report.taskID] = report.state
        reports.append(report)
        var remaining: [(id: UInt64, matches: @Sendable (TaskStatusReport) -> Bool, continuation: CheckedContinuation<TaskStatusReport?, Never>)] = []
        for waiter in waiters {
            if waiter.matches(report) { waiter.continuation.resume(returning: report) } else { remaining.append(waiter) }
        }
        waiters = remaining
    }

    func sendFrameworkMessage(_ data: Data) async throws(ExecutorDriverError) {}

    /// The reports about `task`, in order.
    func reports(for task: TaskID) -> [TaskStatusReport] { reports.filter { $0.taskID == task } }

    /// The states reported for `task`, in order.
    func states(for task: TaskID) -> [TaskState] { reports(for: task).map(\.state) }

    /// The first report about `task` in `state` (already received or still to come).
    /// - Throws: ``TestFailure`` listing the task's reports when none arrives within `timeout`.
    @discardableResult
    func waitFor(state: TaskState, task: TaskID, timeout: Duration = .seconds(10)) async throws -> TaskStatusReport {
        try await waitFor(task: task, "\(state)", timeout: timeout) { $0.state == state }
    }

    /// The first report about `task` matching `matches` (already received or still to come),
    /// among the reports from index `since` of ``reports`` on.
    /// - Throws: ``TestFailure`` listing the task's reports when none arrives within `timeout`.
    @discardableResult
    func waitFor(
        task: TaskID, _ what: String, timeout: Duration = .seconds(10), since: Int = 0,
        matching matches: @escaping @Sendable (TaskStatusReport) -> Bool
    ) async throws -> TaskStatusReport {
        if let found = reports.dropFirst(since).first(where: { $0.taskID == task && matches($0) }) { return found }
        nextWaiter += 1
        let id = nextWaiter
        let timer = Task { [weak self] in
            try? await Task.sleep(for: timeout)
            await self?.expire(id)
        }
        defer { timer.cancel() }
        let found = await withCheckedContinuation { continuation in
            waiters.append((id, { $0.taskID == task && matches($0) }, continuation))
        }
        guard let found else {
            let seen = reports(for: task).map { "\($0.state)\($0.reason.map { "/\($0)" } ?? "")\($0.healthy.map { " healthy=\($0)" } ?? "")\($0.ready.map { " ready=\($0)" } ?? "") \($0.message ?? "")" }
            throw TestFailure("no \(what) report for task \(task) within \(timeout); its reports: \(seen)")
        }
        return found
    }

    private func expire(_ id: UInt64) {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return }
        waiters.remove(at: index).continuation.resume(returning: nil)
    }
}

/// A fresh folder under the system's temporary directory, removed after `body`.
func withTemporaryDirectory<T>(_ body: (String) async throws -> T) async throws -> T {
    var base = NSTemporaryDirectory()
    while base.count > 1 && base.hasSuffix("/") { base.removeLast() }
    var template = Array("\(base)/roost-agent-test-XXXXXX".utf8CString)
    let path = template.withUnsafeMutableBufferPointer { buffer -> String? in
        guard let result = mkdtemp(buffer.baseAddress!) else { return nil }
        return String(cString: result)
    }
    guard let path else { throw TestFailure("mkdtemp failed: \(String(cString: strerror(errno)))") }
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try await body(path)
}

/// Runs `body` with a command executor working in a temporary directory and a recording driver;
/// shuts the executor down afterwards (killing whatever is still running) and removes the directory.
func withExecutor(
    killGracePeriod: Duration = .seconds(3),
    isolator: any Isolator = ProcessGroupIsolator(),
    _ body: (CommandExecutor, RecordingDriver, String) async throws -> Void
) async throws {
    try await withTemporaryDirectory { directory in
        let executor = CommandExecutor(configuration: .init(workDirectory: directory + "/work", killGracePeriod: killGracePeriod, isolator: isolator))
        let driver = RecordingDriver()
        do {
            try await body(executor, driver, directory)
        } catch {
            await executor.shutdown(driver, gracePeriod: .zero)
            throw error
        }
        await executor.shutdown(driver, gracePeriod: .zero)
    }
}

/// A task running `script` with `/bin/sh -c`.
func shellTask(
    _ id: TaskID, _ script: String, environment: [String: String] = [:], workingDirectory: String? = nil,
    resources: Resources = "cpus:0.1;mem:32", healthCheck: HealthCheck? = nil, killGracePeriod: Duration? = nil
) -> TaskInfo {
    TaskInfo(
        id: id, resources: resources, command: .shell(script), environment: environment, workingDirectory: workingDirectory,
        healthCheck: healthCheck, killGracePeriod: killGracePeriod)
}

/// Writes `text` to `path` (mode 0755 when `executable`, else 0644).
func writeFile(_ path: String, _ text: String, executable: Bool = false) throws {
    try text.write(toFile: path, atomically: false, encoding: .utf8)
    try FileManager.default.setAttributes([.posixPermissions: executable ? 0o755 : 0o644], ofItemAtPath: path)
}

/// The text of a file, or "" if it cannot be read.
func contents(of path: String) -> String {
    (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
}

/// The PIDs a script wrote to `path`, one per line.
func pids(in path: String) -> [Int32] {
    contents(of: path).split(whereSeparator: \.isNewline).compactMap { Int32($0) }
}

/// Process checks made independently of the code under test.
enum Processes {
    /// `/proc/<pid>/stat` field 3 (the state letter), or `nil` when there is no such process.
    static func state(of pid: Int32) -> Character? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = text.lastIndex(of: ")")
        else { return nil }
        return text[text.index(after: close)...].split(separator: " ").first?.first
    }

    /// Whether `pid` exists and has not exited (a zombie has exited).
    static func isRunning(_ pid: Int32) -> Bool {
        guard let state = state(of: pid) else { return false }
        return state != "Z" && state != "X"
    }

    /// `/proc/<pid>/stat` field 5 (process group) of each process.
    static func liveMembers(ofGroup pgid: Int32) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { pid in
            guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                let close = text.lastIndex(of: ")")
            else { return false }
            let fields = text[text.index(after: close)...].split(separator: " ")
            return fields.count > 2 && Int32(fields[2]) == pgid && fields[0] != "Z" && fields[0] != "X"
        }
    }

    /// Whether `kill(-pgid, 0)` fails with `ESRCH`: no process at all, not even a zombie, is in the group.
    static func groupIsEmpty(_ pgid: Int32) -> Bool {
        kill(-pgid, 0) == -1 && errno == ESRCH
    }

    /// Checks that nothing of group `pgid` (and none of `pids`) can run any more, then waits
    /// (bounded) until `kill(-pgid, 0)` fails with `ESRCH`: the processes' zombies are reaped
    /// by PID 1, which on this machine does so only every couple of seconds.
    static func expectGroupGone(_ pgid: Int32, pids: [Int32] = [], sourceLocation: SourceLocation = #_sourceLocation) async throws {
        #expect(liveMembers(ofGroup: pgid).isEmpty, "group \(pgid) still has running members \(liveMembers(ofGroup: pgid))", sourceLocation: sourceLocation)
        for pid in pids {
            #expect(!isRunning(pid), "process \(pid) of group \(pgid) is still running (state \(state(of: pid).map(String.init) ?? "-"))", sourceLocation: sourceLocation)
        }
        try await waitUntil("kill(-\(pgid), 0) failing with ESRCH", timeout: .seconds(10)) { groupIsEmpty(pgid) }
    }

    /// Kills group `pgid` with SIGKILL, for cleaning up after a failed test.
    static func killGroup(_ pgid: Int32) {
        if pgid > 1 { kill(-pgid, SIGKILL) }
    }
}
