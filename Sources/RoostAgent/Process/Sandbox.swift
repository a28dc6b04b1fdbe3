public import RoostCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A task's own folder on the agent: its working directory and the home of its captured
/// `stdout` and `stderr`.
///
/// The layout follows Mesos' agent work directory, simplified:
///
/// ```
/// <workDirectory>/frameworks/<frameworkID>/executors/<executorID>/runs/<taskID>/
///     stdout      the task's standard output (appended)
///     stderr      the task's standard error (appended)
/// ```
///
/// Mesos has `<work_dir>/slaves/<agent_id>/frameworks/<framework_id>/executors/<executor_id>/runs/<container_id>`;
/// Roost drops the agent level (one work directory belongs to one agent) and names the run
/// after the task, since the command executor runs one process per task. A task launched again
/// with the same ID reuses the folder, and its output is appended to the same files.
///
/// A `Sandbox` is a plain value: making one touches nothing on disk; ``create()`` does.
/// JSON: `{"path": "…"}`.
public struct Sandbox: Hashable, Sendable, Codable {
    /// The sandbox folder (absolute when the work directory is).
    public var path: String

    /// The sandbox of a task: `<workDirectory>/frameworks/<frameworkID>/executors/<executorID>/runs/<taskID>`.
    ///
    /// The IDs are path segments; RoostCore's ID validation already rejects `/`, `.` and `..`,
    /// and ``create()`` checks again.
    public init(workDirectory: String, frameworkID: FrameworkID, executorID: ExecutorID, taskID: TaskID) {
        var root = workDirectory
        while root.count > 1 && root.hasSuffix("/") { root.removeLast() }
        path = "\(root)/frameworks/\(frameworkID.value)/executors/\(executorID.value)/runs/\(taskID.value)"
        invalidSegment = [frameworkID.value, executorID.value, taskID.value].first {
            $0.isEmpty || $0 == "." || $0 == ".." || $0.contains("/") || $0.contains("\0")
        }
    }

    /// A sandbox at an existing or chosen path (for example one recorded before an agent restart).
    public init(path: String) {
        self.path = path
        invalidSegment = nil
    }

    /// An ID that cannot be a path segment, reported by ``create()``.
    private var invalidSegment: String?

    /// Two sandboxes are equal when they have the same path.
    public static func == (lhs: Sandbox, rhs: Sandbox) -> Bool { lhs.path == rhs.path }
    /// Hashes the path.
    public func hash(into hasher: inout Hasher) { hasher.combine(path) }

    enum CodingKeys: String, CodingKey { case path }

    /// Decodes `{"path": "…"}`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(path: try container.decode(String.self, forKey: .path))
    }

    /// Encodes `{"path": "…"}`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(path, forKey: .path)
    }

    /// The file the task's standard output is appended to: `<path>/stdout`.
    public var stdoutPath: String { path + "/stdout" }
    /// The file the task's standard error is appended to: `<path>/stderr`.
    public var stderrPath: String { path + "/stderr" }

    /// Creates the sandbox folder (and missing parents, mode 0755) and empty `stdout` and
    /// `stderr` files (mode 0644) if they do not exist yet; existing content is kept.
    ///
    /// Safe to call again. Makes blocking file system calls (a handful of `mkdir`/`open`).
    /// - Throws: ``SandboxError`` `.invalidPath` when an ID would leave the work directory,
    ///   `.creationFailed` naming the path and the system's reason when a folder or file
    ///   cannot be made.
    public func create() throws(SandboxError) {
        try createFolder()
        for file in [stdoutPath, stderrPath] {
            let fd = open(file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
            guard fd >= 0 else {
                throw SandboxError(.creationFailed, path: file, "cannot create '\(file)': \(Self.describe(errno)); check the agent's work directory permissions and free space")
            }
            close(fd)
        }
    }

    /// Creates the sandbox folder (and missing parents, mode 0755) but not its files, for a
    /// caller that creates `stdout` and `stderr` as it opens them (the ``CommandExecutor``:
    /// ``TaskProcess/launch(_:)`` opens them with `O_CREAT` before anything else).
    ///
    /// - Throws: ``SandboxError``, as ``create()``.
    public func createFolder() throws(SandboxError) {
        if let bad = invalidSegment {
            throw SandboxError(.invalidPath, path: path, "the ID '\(bad)' cannot be a sandbox path segment; IDs may not be empty, '.', '..' or contain '/'")
        }
        try Self.makeDirectories(path)
    }

    /// The folder a task starts in: the sandbox itself for `nil`, else `relative` inside it,
    /// created (with parents) if missing.
    ///
    /// - Throws: ``SandboxError`` `.invalidPath` when `relative` is absolute or contains `..`
    ///   (it must stay inside the sandbox), `.creationFailed` when it cannot be created.
    public func workingDirectory(_ relative: String?) throws(SandboxError) -> String {
        guard let relative, !relative.isEmpty, relative != "." else { return path }
        if relative.hasPrefix("/") || relative.split(separator: "/").contains("..") || relative.contains("\0") {
            throw SandboxError(.invalidPath, path: relative, "workingDirectory '\(relative)' must stay inside the sandbox: give a relative path without '..'")
        }
        let full = path + "/" + relative
        try Self.makeDirectories(full)
        return full
    }

    /// `mkdir -p` with mode 0755.
    ///
    /// Tries the folder itself first and climbs only while parents are missing, so the usual
    /// case (a new task's folder in an existing executor folder) is one `mkdir`.
    static func makeDirectories(_ path: String) throws(SandboxError) {
        if mkdir(path, 0o755) == 0 { return }
        let error = errno
        switch error {
        case EEXIST:
            var info = stat()
            guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
                throw SandboxError(.creationFailed, path: path, "cannot create the folder '\(path)': a file that is not a folder is in the way; remove it or choose another work directory")
            }
        case ENOENT, ENOTDIR:  // a parent is missing, or a file is in its place: climb to find which
            guard let slash = path.lastIndex(of: "/"), slash != path.startIndex else {
                throw SandboxError(.creationFailed, path: path, "cannot create the folder '\(path)': \(describe(error))")
            }
            try makeDirectories(String(path[..<slash]))
            if mkdir(path, 0o755) != 0, errno != EEXIST {
                let error = errno
                throw SandboxError(.creationFailed, path: path, "cannot create the folder '\(path)': \(describe(error)); check the permissions and free space of the agent's work directory")
            }
        default:
            throw SandboxError(.creationFailed, path: path, "cannot create the folder '\(path)': \(describe(error)); check the permissions and free space of the agent's work directory")
        }
    }

    static func describe(_ error: Int32) -> String {
        String(cString: strerror(error))
    }
}
