#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Where this machine's cgroup controllers are, read from `/proc/self/mounts` and
/// `/proc/self/cgroup`.
enum CgroupHierarchy: Sendable, Hashable {
    /// cgroup v1: each controller's mount point (cpu and cpuacct are often one mount).
    struct V1: Sendable, Hashable {
        var memory: String
        var cpu: String
        var cpuacct: String
        var pids: String?
        var freezer: String?
        /// The agent's own cgroup path in each controller's hierarchy (`/` when at the root).
        var ownPath: [String: String]

        /// The distinct mount points, each once.
        var mounts: [String] {
            var seen: [String] = []
            for mount in [memory, cpu, cpuacct, pids, freezer].compactMap({ $0 }) where !seen.contains(mount) { seen.append(mount) }
            return seen
        }

        /// The agent's own cgroup inside the hierarchy mounted at `mount`.
        func own(_ mount: String) -> String {
            let controller = [("memory", memory), ("cpu", cpu), ("cpuacct", cpuacct), ("pids", pids), ("freezer", freezer)]
                .first { $0.1 == mount }?.0 ?? "memory"
            let path = ownPath[controller] ?? "/"
            return path == "/" ? mount : mount + path
        }
    }

    case v1(V1)
    /// The unified hierarchy's mount point; its controllers include memory, cpu and pids.
    case v2(String)

    /// The hierarchy Roost can use here: v2 when its mount offers memory, cpu and pids, else
    /// v1 when memory, cpu and cpuacct are mounted; `nil` when neither is.
    static func detect(mounts: String? = nil, ownCgroups: String? = nil) -> CgroupHierarchy? {
        let mountText = mounts ?? ProcFS.readFile("/proc/self/mounts").map { String(decoding: $0, as: UTF8.self) } ?? ""
        var v1: [String: String] = [:]
        var v2: String?
        for line in mountText.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count >= 4 else { continue }
            let (path, type) = (String(fields[1]), fields[2])
            if type == "cgroup2" {
                v2 = v2 ?? path
            } else if type == "cgroup" {
                for option in fields[3].split(separator: ",") {
                    let name = String(option)
                    if ["memory", "cpu", "cpuacct", "pids", "freezer"].contains(name) { v1[name] = path }
                }
            }
        }
        if let v2, let controllers = ProcFS.readFile(v2 + "/cgroup.controllers").map({ String(decoding: $0, as: UTF8.self) }) {
            let available = Set(controllers.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init))
            if available.isSuperset(of: ["memory", "cpu", "pids"]) { return .v2(v2) }
        }
        guard let memory = v1["memory"], let cpu = v1["cpu"], let cpuacct = v1["cpuacct"] else { return nil }
        let cgroupText = ownCgroups ?? ProcFS.readFile("/proc/self/cgroup").map { String(decoding: $0, as: UTF8.self) } ?? ""
        var own: [String: String] = [:]
        for line in cgroupText.split(separator: "\n") {
            // 4:memory:/process_api/0e65…
            let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3 else { continue }
            for controller in parts[1].split(separator: ",") { own[String(controller)] = String(parts[2]) }
        }
        return .v1(V1(memory: memory, cpu: cpu, cpuacct: cpuacct, pids: v1["pids"], freezer: v1["freezer"], ownPath: own))
    }
}

/// Small file operations on cgroup files.
enum CgroupFiles {
    /// Writes `value` to a cgroup control file; the kernel takes one write per value.
    static func write(_ value: String, to path: String) throws(IsolationError) {
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw IsolationError(.cgroupFailed, "cannot open '\(path)' to write '\(value)': \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        let bytes = Array(value.utf8)
        let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count else {
            throw IsolationError(.cgroupFailed, "cannot write '\(value)' to '\(path)': \(String(cString: strerror(errno)))")
        }
    }

    /// A control file's text, trimmed; `nil` when it cannot be read.
    static func read(_ path: String) -> String? {
        ProcFS.readFile(path).map { String(decoding: $0, as: UTF8.self).trimmingSpaces }
    }

    /// An integer control file (`max` reads as `nil`).
    static func integer(_ path: String) -> Int64? {
        read(path).flatMap { Int64($0) }
    }

    /// `key value` lines (`memory.stat`, `cpu.stat`, `memory.events`, `memory.oom_control`).
    static func keyed(_ path: String) -> [String: Int64] {
        var result: [String: Int64] = [:]
        for line in (read(path) ?? "").split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 2, let value = Int64(parts[1]) { result[String(parts[0])] = value }
        }
        return result
    }

    /// The PIDs in a cgroup (`cgroup.procs`).
    static func processes(_ directory: String) -> [Int32] {
        (read(directory + "/cgroup.procs") ?? "").split(separator: "\n").compactMap { Int32($0) }
    }

    /// `mkdir -p` for cgroup directories.
    static func makeDirectory(_ path: String) throws(IsolationError) {
        if mkdir(path, 0o755) == 0 || errno == EEXIST { return }
        guard errno == ENOENT, let slash = path.lastIndex(of: "/"), slash != path.startIndex else {
            throw IsolationError(.cgroupFailed, "cannot create the cgroup '\(path)': \(String(cString: strerror(errno)))")
        }
        try makeDirectory(String(path[..<slash]))
        guard mkdir(path, 0o755) == 0 || errno == EEXIST else {
            throw IsolationError(.cgroupFailed, "cannot create the cgroup '\(path)': \(String(cString: strerror(errno)))")
        }
    }

    /// The names of a cgroup's child cgroups.
    static func children(_ path: String) -> [String] {
        guard let directory = opendir(path) else { return [] }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard name != "." && name != ".." else { continue }
            // d_type is not reliable on every file system; stat says what it is.
            var info = stat()
            if stat(path + "/" + name, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR { names.append(name) }
        }
        return names.sorted()
    }
}
