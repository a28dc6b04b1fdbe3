#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// What identifies a task's process group across an agent restart: the leader's PID, the
/// group ID, the leader's start time and the boot it started in.
///
/// ``TaskProcess/launch(_:)`` records it while the new process cannot yet have been reaped,
/// so it is exact; an agent stores it (JSON fields `pid`, `processGroupID`, `startTime`,
/// `bootID`) and, after restarting, uses it to find, kill and wait for a group that is no
/// longer its child. PIDs are reused, so a PID alone proves nothing: the leader is the
/// recorded process only if `/proc/<pid>/stat` field 22 (start time, in clock ticks after
/// boot) still matches and the machine has not rebooted since (`bootID`).
///
/// Linux only: the checks read `/proc`. All methods are safe to call from any task; they
/// make short, non-blocking system calls, and the waits poll with a bounded back-off
/// (1 ms doubling up to 50 ms), since the kernel offers no notification for a group
/// emptying or for a non-child exiting that works without a thread per process.
public struct ProcessRecord: Hashable, Sendable, Codable {
    /// The group leader's process ID.
    public var pid: Int32
    /// The process group every process of the task belongs to (`== pid` for processes
    /// started by ``TaskProcess``).
    public var processGroupID: Int32
    /// The leader's start time: `/proc/<pid>/stat` field 22, clock ticks after boot.
    public var startTime: UInt64
    /// `/proc/sys/kernel/random/boot_id` when the leader started; `nil` if unknown (then a
    /// reboot is not detected).
    public var bootID: String?

    /// Creates a record from stored values.
    public init(pid: Int32, processGroupID: Int32, startTime: UInt64, bootID: String?) {
        self.pid = pid
        self.processGroupID = processGroupID
        self.startTime = startTime
        self.bootID = bootID
    }

    /// Records a running process as it is now: its group, start time and this boot's ID.
    ///
    /// - Throws: ``ProcessError`` `.procUnavailable` when `/proc/<pid>/stat` cannot be read
    ///   (no such process, or `/proc` is not mounted).
    public static func capture(pid: Int32) throws(ProcessError) -> ProcessRecord {
        guard let stat = ProcFS.stat(of: pid) else {
            throw ProcessError(.procUnavailable, "cannot read /proc/\(pid)/stat: there is no such process or /proc is not mounted")
        }
        return ProcessRecord(pid: pid, processGroupID: stat.processGroupID, startTime: stat.startTime, bootID: ProcFS.bootID())
    }

    /// Whether the group can be a task's: a real group (not 0, which `kill` takes as "my own
    /// group", nor 1, init's) and not the agent's own, so a corrupted record can never make
    /// ``signalGroup(_:)`` hit the agent or everything.
    private var isPlausibleTaskGroup: Bool {
        pid > 1 && processGroupID > 1 && processGroupID != getpgrp()
    }

    /// Whether the machine is still in the boot this record was made in.
    private func sameBoot() -> Bool {
        guard let bootID else { return true }
        return ProcFS.bootID().map { $0 == bootID } ?? true
    }

    /// Whether the recorded leader process is still running: its PID exists with the
    /// recorded start time, it is not a zombie, and the machine has not rebooted.
    ///
    /// A different start time means the PID now belongs to another process (PID reuse), and
    /// the answer is `false`.
    public func isAlive() -> Bool {
        guard sameBoot(), let stat = ProcFS.stat(of: pid) else { return false }
        return stat.startTime == startTime && !stat.hasExited
    }

    /// Whether any process of the recorded group can still run (zombies do not count: they
    /// have exited and only wait to be reaped).
    ///
    /// Identity: a group ID cannot be handed out again while any process of the group
    /// exists, so if a process with PID `processGroupID` exists with another start time than
    /// the recorded leader's, the recorded group is gone and the answer is `false`. When the
    /// leader has exited, the group's remaining members are those with the recorded group ID
    /// that started no earlier than the leader. (A group ID reused after the whole group
    /// died, whose new leader also died, cannot be told apart; that needs a PID to be
    /// reused twice while the agent was down.)
    public func isGroupAlive() -> Bool {
        guard isPlausibleTaskGroup, sameBoot() else { return false }
        // Fast path: no process at all is in a group with this ID.
        if kill(-processGroupID, 0) != 0 && errno == ESRCH { return false }
        if processGroupID == pid, let leader = ProcFS.stat(of: pid) {
            guard leader.startTime == startTime else { return false }
            if !leader.hasExited && leader.processGroupID == processGroupID { return true }
        }
        return ProcFS.members(ofGroup: processGroupID).contains { member in
            !member.hasExited && member.startTime >= startTime
        }
    }

    /// Sends `signal` to every process of the group, if the group is still the recorded one.
    ///
    /// - Returns: whether the signal was sent (`false` when the group is gone, see
    ///   ``isGroupAlive()``, when the record names group 0 or 1 or the agent's own group, or
    ///   when the kernel refused).
    @discardableResult
    public func signalGroup(_ signal: Int32) -> Bool {
        guard isGroupAlive() else { return false }
        return kill(-processGroupID, signal) == 0
    }

    /// Stops the whole group: `SIGTERM` to the group, then, if anything in it is still alive
    /// after `gracePeriod`, `SIGKILL` to the group; returns when no process of the group can
    /// run any more.
    ///
    /// For groups that are not this process's children (after an agent restart), and for
    /// cleaning up what a task left behind. Cancelling the calling task skips the rest of the
    /// grace period (the group is `SIGKILL`ed at once) and stops waiting for it to vanish.
    public func killGroup(gracePeriod: Duration) async {
        guard signalGroup(SIGTERM) else { return }
        let deadline = ContinuousClock.now.advanced(by: gracePeriod)
        if await Backoff.poll(until: deadline, { !isGroupAlive() }) { return }
        signalGroup(SIGKILL)
        _ = await Backoff.poll { !isGroupAlive() }
    }

    /// Waits until the recorded leader has exited (see ``isAlive()``).
    ///
    /// - Parameter timeout: how long to wait; `nil` waits as long as it takes.
    /// - Throws: ``ProcessError`` `.timedOut` when it is still alive after `timeout`,
    ///   `.cancelled` when the calling task is cancelled first.
    public func waitForExit(timeout: Duration? = nil) async throws(ProcessError) {
        try await waitUntil(timeout: timeout, what: "process \(pid)") { !isAlive() }
    }

    /// Waits until no process of the recorded group can run (see ``isGroupAlive()``).
    ///
    /// - Parameter timeout: how long to wait; `nil` waits as long as it takes.
    /// - Throws: ``ProcessError`` `.timedOut` when part of the group is still alive after
    ///   `timeout`, `.cancelled` when the calling task is cancelled first.
    public func waitForGroupExit(timeout: Duration? = nil) async throws(ProcessError) {
        try await waitUntil(timeout: timeout, what: "process group \(processGroupID)") { !isGroupAlive() }
    }

    private func waitUntil(timeout: Duration?, what: String, _ condition: () -> Bool) async throws(ProcessError) {
        let deadline = timeout.map { ContinuousClock.now.advanced(by: $0) }
        if await Backoff.poll(until: deadline, condition) { return }
        if Task.isCancelled {
            throw ProcessError(.cancelled, "stopped waiting for \(what) to exit: the waiting task was cancelled")
        }
        throw ProcessError(.timedOut, "\(what) was still alive after \(timeout.map { "\($0)" } ?? "waiting")")
    }
}
