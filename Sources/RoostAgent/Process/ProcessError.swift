public import RoostCore

/// Why a task process could not be started or managed.
///
/// Thrown by ``TaskProcess/launch(_:)`` and by the waits of ``ProcessRecord``; the
/// ``CommandExecutor`` turns a launch failure into `TASK_FAILED` with reason
/// `REASON_CONTAINER_LAUNCH_FAILED` and this error's message.
public struct ProcessError: CodedError, Hashable, Sendable {
    /// What kind of failure this is; an extensible set of values (compare with `==`).
    public var code: ErrorCode<ProcessError>
    /// What went wrong, naming the program, path or process, and the fix.
    public var message: String

    /// Creates an error.
    public init(_ code: ErrorCode<ProcessError>, _ message: String) {
        self.code = code
        self.message = message
    }
}

extension ErrorCode where Domain == ProcessError {
    /// The program is not on `PATH`, or the path given does not name an executable file.
    public static var executableNotFound: Self { Self("executableNotFound") }
    /// The working directory does not exist or cannot be entered.
    public static var workingDirectoryUnavailable: Self { Self("workingDirectoryUnavailable") }
    /// A file for the process's standard output or error could not be opened.
    public static var outputUnavailable: Self { Self("outputUnavailable") }
    /// The kernel refused to start the process (too many processes, permissions, a bad environment).
    public static var spawnFailed: Self { Self("spawnFailed") }
    /// `/proc` could not be read, so the process cannot be identified safely.
    public static var procUnavailable: Self { Self("procUnavailable") }
    /// A wait ran out of time while the process (or its group) was still alive.
    public static var timedOut: Self { Self("timedOut") }
    /// The waiting task was cancelled before the process (or its group) was gone.
    public static var cancelled: Self { Self("cancelled") }
}

/// Why a task's sandbox could not be created.
///
/// Thrown by ``Sandbox/create()`` and ``Sandbox/workingDirectory(_:)``; the
/// ``CommandExecutor`` reports it as `TASK_FAILED` with reason
/// `REASON_CONTAINER_LAUNCH_FAILED`.
public struct SandboxError: CodedError, Hashable, Sendable {
    /// What kind of failure this is; an extensible set of values (compare with `==`).
    public var code: ErrorCode<SandboxError>
    /// The path concerned.
    public var path: String
    /// What went wrong, naming the path and the fix.
    public var message: String

    /// Creates an error.
    public init(_ code: ErrorCode<SandboxError>, path: String, _ message: String) {
        self.code = code
        self.path = path
        self.message = message
    }
}

extension ErrorCode where Domain == SandboxError {
    /// A folder or file could not be created (permissions, a full disk, a file in the way).
    public static var creationFailed: Self { Self("creationFailed") }
    /// An ID or relative path would leave the sandbox (`..`, `/`, an absolute path).
    public static var invalidPath: Self { Self("invalidPath") }
}
