public import RoostCore
import CRoostSpawn
import FoundationEssentials
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// How a task's process ended.
public enum ProcessTermination: Hashable, Sendable, CustomStringConvertible {
    /// The process called `exit` with this code.
    case exited(Int32)
    /// The process was terminated by this signal.
    case signaled(Int32)

    /// Whether the process exited with code 0.
    public var isSuccess: Bool { self == .exited(0) }

    /// `exited with code N` or `terminated by signal N`, the messages Roost puts in task statuses.
    public var description: String {
        switch self {
        case .exited(let code): "exited with code \(code)"
        case .signaled(let signal): "terminated by signal \(signal)"
        }
    }
}

/// A task's command running as a real child process, in a process group of its own.
///
/// Started by ``launch(_:)`` with `posix_spawn`: an empty signal mask and every signal at its
/// default disposition (unlike `Foundation.Process`, whose children start with SIGTERM
/// blocked), standard input from `/dev/null`, no descriptor of the agent's but the two
/// outputs. The process is the leader of a new process group (`pgid == pid`), so everything
/// it starts (unless it calls `setsid`/`setpgid` itself) is reached by ``kill(gracePeriod:)``.
/// Its exit is noticed through its pidfd by the ``ExitWatcher``'s one thread.
///
/// **The task ends with its group.** When the leader exits, whatever it left running in its
/// group is killed with `SIGKILL` (as Mesos destroys a task's container), except during a
/// graceful ``kill(gracePeriod:)``, when the rest of the group gets the rest of the grace
/// period first. ``wait()`` and ``kill(gracePeriod:)`` return only once no process of the
/// group can run any more. (Zombies count as gone: an orphan's zombie waits for PID 1 to reap
/// it, which some init processes do only every few seconds, and `kill(-pgid, 0)` still finds
/// the group until then.)
///
/// **Ownership.** The process is supervised by a task owned by this object. Await ``wait()``
/// or ``kill(gracePeriod:)``: cancelling ``wait()`` stops the group (SIGTERM, then SIGKILL
/// after ``Configuration/teardownGracePeriod``) and still returns only when it is gone. If the
/// object is released while the process runs, the same teardown starts without anyone
/// waiting for it.
///
/// Thread-safe: any task may call any method, concurrently.
public final class TaskProcess: Sendable {
    /// What to run and where.
    public struct Configuration: Sendable, Hashable {
        /// The command: `.shell` runs `/bin/sh -c`, `.argv` runs the program directly (a name
        /// without `/` is looked up in the `PATH` the process gets; a relative path is taken
        /// from ``workingDirectory``).
        public var command: Command
        /// The absolute folder the process starts in; it must exist.
        public var workingDirectory: String
        /// Variables set for the process, on top of the agent's own environment (when
        /// ``inheritsEnvironment``); these win over the agent's.
        public var environment: [String: String]
        /// Whether the process starts from the agent's environment. Default `true`.
        public var inheritsEnvironment: Bool
        /// The file standard output is appended to (created if missing); `nil` discards it.
        public var stdoutPath: String?
        /// The file standard error is appended to (created if missing); `nil` discards it.
        public var stderrPath: String?
        /// The grace between SIGTERM and SIGKILL when the process is torn down because its
        /// waiter was cancelled or this object was released. Default 3 s (Mesos' command
        /// executor's default kill grace period).
        public var teardownGracePeriod: Duration
        /// Files the process writes its own PID to before it runs the command (the
        /// `cgroup.procs` files of its container, from an ``Isolator``), so everything it
        /// starts is in the container from the first instruction. Empty by default.
        public var joinFiles: [String]

        /// Creates a configuration; see each property for its meaning and default.
        public init(
            command: Command,
            workingDirectory: String,
            environment: [String: String] = [:],
            inheritsEnvironment: Bool = true,
            stdoutPath: String? = nil,
            stderrPath: String? = nil,
            teardownGracePeriod: Duration = .seconds(3),
            joinFiles: [String] = []
        ) {
            self.joinFiles = joinFiles
            self.command = command
            self.workingDirectory = workingDirectory
            self.environment = environment
            self.inheritsEnvironment = inheritsEnvironment
            self.stdoutPath = stdoutPath
            self.stderrPath = stderrPath
            self.teardownGracePeriod = teardownGracePeriod
        }

        /// The configuration for running `task` in `sandbox`: its command, its working
        /// directory (created inside the sandbox if missing), output appended to the sandbox's
        /// `stdout` and `stderr`, and its environment: the task's variables, then
        /// `ROOST_TASK_ID`, `ROOST_SANDBOX` and `extraEnvironment` (ports, for example), which
        /// the task cannot override.
        ///
        /// - Throws: ``SandboxError`` when the working directory leaves the sandbox or cannot
        ///   be created; ``ProcessError`` `.spawnFailed` when the task has no command.
        public static func task(
            _ task: TaskInfo, in sandbox: Sandbox, extraEnvironment: [String: String] = [:], teardownGracePeriod: Duration = .seconds(3)
        ) throws -> Configuration {
            guard let command = task.command else {
                throw ProcessError(.spawnFailed, "task '\(task.id)' has no command; the command executor runs only tasks with a command")
            }
            var environment = task.environment
            environment["ROOST_TASK_ID"] = task.id.value
            environment["ROOST_SANDBOX"] = sandbox.path
            environment.merge(extraEnvironment) { _, extra in extra }
            return Configuration(
                command: command,
                workingDirectory: try sandbox.workingDirectory(task.workingDirectory),
                environment: environment,
                stdoutPath: sandbox.stdoutPath,
                stderrPath: sandbox.stderrPath,
                teardownGracePeriod: teardownGracePeriod)
        }
    }

    /// The identity of the process group, for finding it again after an agent restart.
    public let record: ProcessRecord
    /// The leader's process ID (also the process group ID).
    public var pid: Int32 { record.pid }
    /// The process group ID (`== pid`).
    public var processGroupID: Int32 { record.processGroupID }
    /// How the leader ended, once the whole group is gone; `nil` before.
    public var termination: ProcessTermination? { shared.completion.value }

    private let shared: Shared
    private let supervisor: Task<Void, Never>

    private init(record: ProcessRecord, shared: Shared, supervisor: Task<Void, Never>) {
        self.record = record
        self.shared = shared
        self.supervisor = supervisor
    }

    deinit {
        // Nobody can wait for or kill the process any more: tear it down.
        if shared.completion.value == nil {
            shared.setKillDeadline(ContinuousClock.now.advanced(by: shared.teardownGracePeriod))
            supervisor.cancel()
        }
    }

    /// Starts the process and returns once it runs (the `posix_spawn` has succeeded).
    ///
    /// Opens the output files (append mode, created if missing), spawns the command in a new
    /// process group with the configured working directory and environment, and records its
    /// identity (``record``) before it can have been reaped. The calling thread blocks for the files
    /// and the spawn, which returns once the child has called `exec` (glibc's `posix_spawn`
    /// shares memory with the child until then): about as long as opening a file. A
    /// dedicated spawning thread was measured slower: every launch waited for a hand-off to
    /// it and back, and one thread serialized every `exec` (see `docs/performance.md`).
    /// - Throws: ``ProcessError``: `.executableNotFound` (naming the program and the `PATH`
    ///   searched), `.workingDirectoryUnavailable`, `.outputUnavailable` (naming the file),
    ///   `.spawnFailed` or `.procUnavailable`.
    public static func launch(_ configuration: Configuration) async throws(ProcessError) -> TaskProcess {
        // The output files first: a task that cannot start still has them in its sandbox.
        let output = try openOutput(configuration.stdoutPath)
        defer { close(output) }
        let error = try openOutput(configuration.stderrPath)
        defer { close(error) }
        let (path, arguments) = try configuration.programAndArguments(pathValue: configuration.pathValue)

        var pid: Int32 = 0
        let failure = withCStrings(arguments) { argv in
            configuration.withEnvironmentBlock { envp in
                roost_spawn(path, argv, envp, configuration.workingDirectory, output, error, &pid)
            }
        }
        guard failure == 0 else { throw ProcessError(spawnFailure: failure, program: path, configuration: configuration) }

        let pidfd = roost_pidfd_open(pid)
        let child = ExitWatcher.Child(pid: pid, pidfd: pidfd >= 0 ? pidfd : nil)
        // Not yet reaped, so /proc/<pid>/stat is this process, even if it already exited.
        guard let stat = ProcFS.stat(of: pid) else {
            _ = ProcFS.signal(-pid, SIGKILL)
            Task {
                _ = await ExitWatcher.shared.reap(child)
                if let pidfd = child.pidfd { close(pidfd) }
            }
            throw ProcessError(.procUnavailable, "started '\(configuration.command)' as process \(pid) but cannot read /proc/\(pid)/stat to record it, so killed it; is /proc mounted?")
        }
        let record = ProcessRecord(pid: pid, processGroupID: pid, startTime: stat.startTime, bootID: ProcFS.bootID())
        let shared = Shared(teardownGracePeriod: configuration.teardownGracePeriod)
        let supervisor = Task {
            let ended = await withTaskCancellationHandler {
                await ExitWatcher.shared.reap(child)
            } onCancel: {
                // A cancelled waiter or a released object: stop the group gracefully.
                tearDown(record, shared: shared)
            }
            if let pidfd = child.pidfd { close(pidfd) }
            // Usually the leader was alone in its group, which is now gone: nothing to sweep,
            // and no task to start for it.
            if record.isGroupAlive() {
                // Run the sweep in a task of its own: cancellation of the supervisor (a
                // cancelled waiter) must not cut short the wait for the group to vanish.
                await Task { await Self.sweep(record, shared: shared) }.value
            }
            // `nil`: something else in this process reaped the leader (or SIGCHLD is ignored,
            // so the kernel did); how it ended cannot be known.
            shared.completion.complete(ended ?? .signaled(SIGKILL))
        }
        return TaskProcess(record: record, shared: shared, supervisor: supervisor)
    }

    /// Waits until the process has exited and no process of its group can run, and returns
    /// how the leader ended.
    ///
    /// Cancelling the waiting task tears the group down (SIGTERM to the group, SIGKILL after
    /// ``Configuration/teardownGracePeriod``) and still returns only when it is gone, with
    /// the termination that teardown caused.
    public func wait() async -> ProcessTermination {
        if let termination { return termination }
        await withTaskCancellationHandler {
            await supervisor.value
        } onCancel: {
            shared.setKillDeadline(ContinuousClock.now.advanced(by: shared.teardownGracePeriod))
            supervisor.cancel()
        }
        return shared.completion.value ?? .signaled(SIGKILL)
    }

    /// Waits like ``wait()`` but gives up after `timeout`, returning `nil` and leaving the
    /// process running.
    func wait(timeout: Duration) async -> ProcessTermination? {
        await shared.completion.wait(until: ContinuousClock.now.advanced(by: timeout))
    }

    /// Stops the whole process group: SIGTERM to the group, then SIGKILL to the group if
    /// anything in it is still alive after `gracePeriod`; returns when no process of the group
    /// can run any more, with how the leader ended.
    ///
    /// Safe to call more than once and concurrently (the earliest deadline wins), and after
    /// the process ended (it then just returns the termination). Cancelling the calling task
    /// skips the rest of the grace period: the group is SIGKILLed at once.
    @discardableResult
    public func kill(gracePeriod: Duration) async -> ProcessTermination {
        if let termination { return termination }
        let deadline = ContinuousClock.now.advanced(by: max(gracePeriod, .zero))
        shared.setKillDeadline(deadline)
        record.signalGroup(SIGTERM)
        if await shared.completion.wait(until: deadline) == nil {
            record.signalGroup(SIGKILL)
        }
        await supervisor.value
        return shared.completion.value ?? .signaled(SIGKILL)
    }

    /// SIGTERM to the group now and SIGKILL at the kill deadline (set by whoever cancelled,
    /// else ``Configuration/teardownGracePeriod`` from now) if the leader is still running.
    private static func tearDown(_ record: ProcessRecord, shared: Shared) {
        shared.setKillDeadline(ContinuousClock.now.advanced(by: shared.teardownGracePeriod))
        let deadline = shared.killDeadline ?? .now
        record.signalGroup(SIGTERM)
        Task {
            if await shared.completion.wait(until: deadline) == nil { record.signalGroup(SIGKILL) }
        }
    }

    /// Kills what the leader left in its group: during a graceful kill, waits for the group to
    /// empty until the kill's deadline; then SIGKILLs the group and waits until it is gone.
    private static func sweep(_ record: ProcessRecord, shared: Shared) async {
        if let deadline = shared.killDeadline {
            if await Backoff.poll(until: deadline, { !record.isGroupAlive() }) { return }
        }
        guard record.signalGroup(SIGKILL) else { return }
        _ = await Backoff.poll { !record.isGroupAlive() }
    }

    /// Opens where an output goes: `path` for appending (created if missing), else `/dev/null`.
    ///
    /// The descriptor is 3 or above even when the agent runs with a standard stream closed:
    /// the child's own 0, 1 and 2 are set up from it, and one of them must not be it.
    private static func openOutput(_ path: String?) throws(ProcessError) -> Int32 {
        let target = path ?? "/dev/null"
        let fd = path == nil ? open(target, O_WRONLY | O_CLOEXEC) : open(target, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw ProcessError(.outputUnavailable, "cannot open '\(target)' for the task's output: \(Sandbox.describe(errno)); check that the sandbox exists and is writable")
        }
        guard fd < 3 else { return fd }
        let moved = fcntl(fd, F_DUPFD_CLOEXEC, 3)
        let error = errno
        close(fd)
        guard moved >= 0 else {
            throw ProcessError(.outputUnavailable, "cannot move the descriptor of '\(target)' above the standard streams: \(Sandbox.describe(error))")
        }
        return moved
    }

    /// Calls `body` with `strings` as a null-terminated array of C strings.
    private static func withCStrings<Result>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> Result) -> Result {
        var pointers = strings.map { strdup($0) }
        pointers.append(nil)
        defer { for pointer in pointers { free(pointer) } }
        return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
    }

    /// State shared between the object, its supervisor task and kills.
    private final class Shared: Sendable {
        let completion = Completion<ProcessTermination>()
        let teardownGracePeriod: Duration
        private let deadline = Mutex<ContinuousClock.Instant?>(nil)

        init(teardownGracePeriod: Duration) { self.teardownGracePeriod = teardownGracePeriod }

        /// When a graceful stop ends and the group is SIGKILLed; `nil` when no stop was asked for.
        var killDeadline: ContinuousClock.Instant? { deadline.withLock { $0 } }

        /// Sets the deadline, keeping an earlier one.
        func setKillDeadline(_ instant: ContinuousClock.Instant) {
            deadline.withLock { current in
                if current.map({ instant < $0 }) ?? true { current = instant }
            }
        }
    }
}

extension TaskProcess.Configuration {
    /// Calls `body` with the environment the process gets, as `execve` wants it: the agent's
    /// (as it was when the first task started) under the configured variables.
    func withEnvironmentBlock<Result>(_ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> Result) -> Result {
        var block: [UnsafeMutablePointer<CChar>?] = []
        if inheritsEnvironment {
            block.reserveCapacity(Self.agentEnvironment.count + environment.count + 1)
            for (key, row) in Self.agentEnvironment where environment[key] == nil { block.append(row) }
        }
        let own = environment.map { strdup("\($0.key)=\($0.value)") }
        defer { for row in own { free(row) } }
        block.append(contentsOf: own)
        block.append(nil)
        return block.withUnsafeBufferPointer { body($0.baseAddress!) }
    }

    /// The agent's environment as `KEY=value` C strings, made once and kept for the process's
    /// life: reading `environ` and copying every variable for each spawn cost more than the
    /// spawn. A variable the agent sets after its first task starts is not passed on.
    private nonisolated(unsafe) static let agentEnvironment: [(key: String, row: UnsafeMutablePointer<CChar>?)] =
        ProcessInfo.processInfo.environment.map { ($0.key, strdup("\($0.key)=\($0.value)")) }

    /// The `PATH` a program name is looked up in: the process's own, else the agent's.
    var pathValue: String {
        if let path = environment["PATH"] { return path }
        if inheritsEnvironment, let path = getenv("PATH") { return String(cString: path) }
        return "/usr/local/bin:/usr/bin:/bin"
    }

    /// The program to run and its whole `argv`: the command's (with `argv[0]` kept as given),
    /// or, with ``joinFiles``, `/bin/sh` writing its PID to each file and then `exec`ing the
    /// command's program (same PID, same process group).
    func programAndArguments(pathValue: String) throws(ProcessError) -> (path: String, arguments: [String]) {
        let (path, argv0, rest) = try resolvedProgram(pathValue: pathValue)
        guard !joinFiles.isEmpty else { return (path, [argv0] + rest) }
        let quoted = joinFiles.map { "'" + $0.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "'\\''") + "'" }.joined(separator: " ")
        let script = "for f in \(quoted); do echo $$ > \"$f\" || exit 127; done; exec \"$0\" \"$@\""
        return ("/bin/sh", ["/bin/sh", "-c", script, path] + rest)
    }

    /// The program's path (resolved once here, so a failed lookup names the `PATH`
    /// searched), `argv[0]` as given, and the other arguments.
    private func resolvedProgram(pathValue: String) throws(ProcessError) -> (path: String, argv0: String, rest: [String]) {
        let argv = command.arguments
        guard let program = argv.first, !program.isEmpty else {
            throw ProcessError(.executableNotFound, "the command is empty; give a program as the first element of 'argv'")
        }
        let rest = Array(argv.dropFirst())
        if program.contains("/") {
            let path = program.hasPrefix("/") ? program : workingDirectory + "/" + program
            guard access(path, X_OK) == 0 else {
                let reason = Sandbox.describe(errno)
                throw ProcessError(.executableNotFound, "cannot run '\(program)' (\(path)): \(reason); give the path of an executable file")
            }
            return (path, program, rest)
        }
        let directories = pathValue.split(separator: ":").filter { $0.hasPrefix("/") }
        guard let found = directories.lazy.map({ "\($0)/\(program)" as String }).first(where: { access($0, X_OK) == 0 }) else {
            throw ProcessError(.executableNotFound, "'\(program)' was not found in PATH (\(pathValue)); install it or give its full path")
        }
        return (found, program, rest)
    }
}

extension ProcessError {
    /// The error for a `posix_spawn` that failed with `code`: a missing folder, a program that
    /// cannot be run, or the kernel refusing.
    init(spawnFailure code: Int32, program: String, configuration: TaskProcess.Configuration) {
        let command = configuration.command
        let reason = Sandbox.describe(code)
        switch code {
        case ENOENT, EACCES, ENOTDIR, ELOOP, ENAMETOOLONG:
            // The same errors come from the child's chdir and its exec: the folder tells which.
            if access(configuration.workingDirectory, X_OK) != 0 {
                self.init(.workingDirectoryUnavailable, "cannot start '\(command)' in '\(configuration.workingDirectory)': \(Sandbox.describe(errno)); the folder must exist and be accessible")
            } else {
                self.init(.executableNotFound, "cannot start '\(command)': running '\(program)' failed: \(reason); check the program name and PATH (\(configuration.pathValue))")
            }
        case ENOEXEC:
            self.init(.executableNotFound, "cannot start '\(command)': '\(program)' is not a program this machine can run (\(reason)); a script needs a '#!' line")
        default:
            self.init(.spawnFailed, "cannot start '\(command)': \(reason)")
        }
    }
}
