import Foundation
import RoostAgent
import RoostCore
import RoostTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Readiness checks of the command executor: reported as `ready` on `TASK_RUNNING`, never a kill.
@Suite(.timeLimit(.minutes(1)))
struct ReadinessCheckTests {
    /// A check that starts at once and runs every 50 ms.
    static func quick(_ kind: HealthCheck.Kind, timeout: Duration = .seconds(2)) -> ReadinessCheck {
        ReadinessCheck(kind, delay: .zero, interval: .milliseconds(50), timeout: timeout)
    }

    /// A task running `script` with `readinessCheck`.
    static func task(_ id: TaskID, _ script: String, resources: Resources = "cpus:0.1;mem:32", readiness: ReadinessCheck, healthCheck: HealthCheck? = nil) -> TaskInfo {
        var task = shellTask(id, script, resources: resources, healthCheck: healthCheck, killGracePeriod: .milliseconds(200))
        task.readinessCheck = readiness
        return task
    }

    /// Shell that waits (polling, as long as the task lives) for the test to create `path`.
    static func waitForFile(_ path: String) -> String { "while [ ! -e '\(path)' ]; do sleep 0.02; done" }

    @Test func commandCheckTurnsReadyOnceTheTaskCreatesItsFile() async throws {
        try await withExecutor { executor, driver, directory in
            // The task creates `ready` in its sandbox once the test says so: not ready until then.
            let go = directory + "/go"
            let task = Self.task("web", "\(Self.waitForFile(go)); touch ready; exec sleep 1000", readiness: Self.quick(.command(.shell("test -f ready"))))
            try await executor.launch(driver, task: task)
            let notReady = try await driver.waitFor(task: "web", "TASK_RUNNING ready=false") { $0.state == .running && $0.ready == false }
            #expect(notReady.reason == .taskCheckStatusUpdated)
            #expect(notReady.message?.contains("test -f ready") == true, "\(notReady.message ?? "")")
            #expect(notReady.healthy == nil, "the task has no health check")
            try writeFile(go, "")
            let ready = try await driver.waitFor(task: "web", "TASK_RUNNING ready=true") { $0.state == .running && $0.ready == true }
            #expect(ready.reason == .taskCheckStatusUpdated)
            #expect(ready.message == "the readiness check command passed")
            #expect(await driver.states(for: "web") == [.starting, .running, .running, .running])
            #expect(await driver.reports(for: "web").map(\.ready) == [nil, nil, false, true], "the first verdict, then each change")
            #expect(await executor.runningTaskIDs == ["web"])
        }
    }

    @Test func failingCheckNeverKillsTheTask() async throws {
        try await withExecutor { executor, driver, directory in
            let log = directory + "/checks"
            let task = Self.task("slowpoke", "exec sleep 1000", readiness: Self.quick(.command(.shell("echo check >> \(log); exit 1"))))
            try await executor.launch(driver, task: task)
            let pgid = try #require(await executor.processRecords()["slowpoke"]?.processGroupID)
            defer { Processes.killGroup(pgid) }
            let notReady = try await driver.waitFor(task: "slowpoke", "TASK_RUNNING ready=false") { $0.ready == false }
            #expect(notReady.message?.contains("exited with code 1") == true, "\(notReady.message ?? "")")
            // Far more failures than any health check's consecutiveFailures would allow.
            try await waitUntil("the readiness check failing 10 times") { contents(of: log).split(separator: "\n").count >= 10 }
            #expect(await driver.states(for: "slowpoke") == [.starting, .running, .running], "only the first verdict is reported, and no kill")
            #expect(!Processes.groupIsEmpty(pgid), "the task must still run")
            #expect(await executor.runningTaskIDs == ["slowpoke"])
        }
    }

    @Test func everyReportCarriesTheLastHealthAndReadiness() async throws {
        try await withExecutor { executor, driver, directory in
            // Ready while the flag file exists; always healthy.
            let flag = directory + "/flag"
            try writeFile(flag, "")
            let task = Self.task(
                "both", "exec sleep 1000", readiness: Self.quick(.command(.shell("test -e \(flag)"))),
                healthCheck: HealthCheck(.command(.shell("true")), delay: .zero, interval: .milliseconds(50), timeout: .seconds(2), gracePeriod: .zero))
            try await executor.launch(driver, task: task)
            try await driver.waitFor(task: "both", "ready=true") { $0.ready == true }
            try await driver.waitFor(task: "both", "healthy=true") { $0.healthy == true }
            // The later of the two verdicts carries the earlier one.
            let verdicts = await driver.reports(for: "both").filter { $0.reason != nil }
            #expect(verdicts.count == 2)
            #expect(verdicts.last?.healthy == true && verdicts.last?.ready == true, "\(verdicts)")

            try FileManager.default.removeItem(atPath: flag)
            let notReady = try await driver.waitFor(task: "both", "ready=false") { $0.ready == false }
            #expect(notReady.reason == .taskCheckStatusUpdated)
            #expect(notReady.healthy == true, "a readiness update keeps the last health verdict")
            let afterFailure = await driver.reports.count
            try writeFile(flag, "")
            try await driver.waitFor(task: "both", "ready=true again", since: afterFailure) { $0.ready == true }
            #expect(await driver.reports(for: "both").filter { $0.reason == .taskCheckStatusUpdated }.map(\.ready) == [true, false, true])

            await executor.kill(driver, taskID: "both", gracePeriod: .seconds(2))
            let killed = try await driver.waitFor(state: .killed, task: "both")
            #expect(killed.healthy == true && killed.ready == true, "the terminal update carries both last verdicts")
            let killing = try await driver.waitFor(state: .killing, task: "both")
            #expect(killing.healthy == true && killing.ready == true)
        }
    }

    @Test func tcpCheckWaitsForTheTasksListener() async throws {
        let port = try LoopbackServer.unusedPort()
        try await withExecutor { executor, driver, directory in
            let go = directory + "/go"
            let task = Self.task(
                "tcp", "\(Self.waitForFile(go)); exec python3 -m http.server \"$PORT\" --bind 127.0.0.1",
                resources: try Resources(parsing: "cpus:0.1;mem:32;ports:[\(port)-\(port)]"), readiness: Self.quick(.tcp(port: port)))
            try await executor.launch(driver, task: task)
            let notReady = try await driver.waitFor(task: "tcp", "ready=false") { $0.ready == false }
            #expect(notReady.message?.contains("127.0.0.1:\(port)") == true, "\(notReady.message ?? "")")
            try writeFile(go, "")
            let ready = try await driver.waitFor(task: "tcp", "ready=true", timeout: .seconds(20)) { $0.ready == true }
            #expect(ready.message == "connected to 127.0.0.1:\(port)")
            #expect(await driver.reports(for: "tcp").compactMap(\.ready) == [false, true])
        }
    }

    @Test func httpCheckWaitsForA2xxAnswer() async throws {
        let port = try LoopbackServer.unusedPort()
        try await withExecutor { executor, driver, directory in
            // The server runs from the start but answers 404 for /ready until the file exists.
            let go = directory + "/go"
            let task = Self.task(
                "http", "python3 -m http.server \"$PORT\" --bind 127.0.0.1 & \(Self.waitForFile(go)); echo ok > ready; wait",
                resources: try Resources(parsing: "cpus:0.1;mem:32;ports:[\(port)-\(port)]"), readiness: Self.quick(.http(port: port, path: "/ready")))
            try await executor.launch(driver, task: task)
            try await driver.waitFor(task: "http", "ready=false") { $0.ready == false }
            // Not ready, whether the server is still starting (refused) or answers 404.
            try await waitUntil("python's HTTP server answering") {
                if case .success(let fd) = await Self.connect(port: port) { close(fd); return true }
                return false
            }
            try writeFile(go, "")
            let ready = try await driver.waitFor(task: "http", "ready=true", timeout: .seconds(20)) { $0.ready == true }
            #expect(ready.message == "GET /ready on port \(port) answered 200")
            #expect(await driver.reports(for: "http").compactMap(\.ready) == [false, true])
        }
    }

    @Test func anAdoptedTaskKeepsItsReadinessCheck() async throws {
        try await withExecutor { executor, driver, directory in
            let process = try await TaskProcess.launch(.init(command: .shell("exec sleep 1000"), workingDirectory: directory))
            let record = process.record
            defer { record.signalGroup(SIGKILL) }
            let task = Self.task("adopted", "unused", readiness: Self.quick(.command(.shell("exit 1"))))
            try await executor.adopt(driver, task: task, record: record)
            let notReady = try await driver.waitFor(task: "adopted", "TASK_RUNNING ready=false") { $0.state == .running && $0.ready == false }
            #expect(notReady.reason == .taskCheckStatusUpdated)
            #expect(record.isGroupAlive(), "a failing readiness check must not kill an adopted task either")
            await executor.kill(driver, taskID: "adopted", gracePeriod: .seconds(2))
            let killed = try await driver.waitFor(state: .killed, task: "adopted")
            #expect(killed.ready == false)
        }
    }

    /// A TCP connection from the test to `127.0.0.1:port`, to see that a server listens.
    static func connect(port: Int) async -> Result<Int32, TestFailure> {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return .failure(TestFailure("socket: \(String(cString: strerror(errno)))")) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = in_addr_t(UInt32(0x7F00_0001).bigEndian)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            close(fd)
            return .failure(TestFailure("connect: \(String(cString: strerror(errno)))"))
        }
        return .success(fd)
    }
}
