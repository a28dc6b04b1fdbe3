import Foundation
import RoostAgent
import RoostCore
import RoostTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Health checks of the command executor: command, TCP and HTTP.
struct HealthCheckTests {
    /// A check that starts at once, runs every 50 ms and has no grace period.
    static func quick(_ kind: HealthCheck.Kind, timeout: Duration = .seconds(2), failures: Int = 3, grace: Duration = .zero) -> HealthCheck {
        HealthCheck(kind, delay: .zero, interval: .milliseconds(50), timeout: timeout, consecutiveFailures: failures, gracePeriod: grace)
    }

    @Test func failingCheckMarksTheTaskUnhealthyThenKillsIt() async throws {
        try await withExecutor { executor, driver, directory in
            let log = directory + "/checks"
            let task = shellTask(
                "sick", "sleep 1000",
                healthCheck: Self.quick(.command(.shell("echo check >> \(log); exit 1"))), killGracePeriod: .milliseconds(500))
            try await executor.launch(driver, task: task)
            let pgid = try #require(await executor.processRecords()["sick"]?.processGroupID)
            defer { Processes.killGroup(pgid) }

            let unhealthy = try await driver.waitFor(task: "sick", "TASK_RUNNING healthy=false") { $0.state == .running && $0.healthy == false }
            #expect(unhealthy.reason == .taskHealthCheckStatusUpdated)
            #expect(unhealthy.message?.contains("exited with code 1") == true, "\(unhealthy.message ?? "")")
            let killing = try await driver.waitFor(state: .killing, task: "sick")
            #expect(killing.reason == .taskUnhealthy)
            let killed = try await driver.waitFor(state: .killed, task: "sick")
            #expect(killed.reason == .taskUnhealthy)
            #expect(killed.healthy == false)
            #expect(await driver.states(for: "sick") == [.starting, .running, .running, .killing, .killed])
            #expect(contents(of: log) == "check\ncheck\ncheck\n", "exactly consecutiveFailures checks should have run")
            try await Processes.expectGroupGone(pgid)
        }
    }

    @Test func passingCheckMarksTheTaskHealthy() async throws {
        try await withExecutor { executor, driver, _ in
            // The check runs in the task's working directory with the task's variables.
            let task = shellTask(
                "well", "echo up > state; sleep 1000", environment: ["EXPECTED": "up"], workingDirectory: "app",
                healthCheck: Self.quick(.command(.shell(#"test "$(cat state)" = "$EXPECTED" && test -n "$ROOST_TASK_ID""#)), grace: .seconds(10)))
            try await executor.launch(driver, task: task)
            let healthy = try await driver.waitFor(task: "well", "TASK_RUNNING healthy=true") { $0.state == .running && $0.healthy == true }
            #expect(healthy.reason == .taskHealthCheckStatusUpdated)
            #expect(await driver.reports(for: "well").allSatisfy { $0.healthy != false }, "failures in the grace period must not be reported")
        }
    }

    @Test func healthChangesAreReportedBothWays() async throws {
        try await withExecutor { executor, driver, directory in
            // Healthy while the flag file exists.
            let flag = directory + "/flag"
            try writeFile(flag, "")
            let task = shellTask("flaky", "sleep 1000", healthCheck: Self.quick(.command(.shell("test -e \(flag)")), failures: 1000))
            try await executor.launch(driver, task: task)
            try await driver.waitFor(task: "flaky", "healthy=true") { $0.healthy == true }
            try FileManager.default.removeItem(atPath: flag)
            try await driver.waitFor(task: "flaky", "healthy=false") { $0.healthy == false }
            let afterFailure = await driver.reports.count
            try writeFile(flag, "")
            try await driver.waitFor(task: "flaky", "healthy=true again", since: afterFailure) { $0.healthy == true }
            #expect(await driver.reports(for: "flaky").compactMap(\.healthy) == [true, false, true], "only changes are reported")
        }
    }

    @Test func checkThatTimesOutIsKilledWithItsGroup() async throws {
        try await withExecutor { executor, driver, directory in
            let pidFile = directory + "/check.pids"
            let task = shellTask(
                "slow", "sleep 1000",
                healthCheck: Self.quick(.command(.shell("sleep 1000 & echo $! >> \(pidFile); echo $$ >> \(pidFile); wait")), timeout: .milliseconds(200), failures: 1))
            try await executor.launch(driver, task: task)
            let pgid = try #require(await executor.processRecords()["slow"]?.processGroupID)
            defer { Processes.killGroup(pgid) }
            let unhealthy = try await driver.waitFor(task: "slow", "healthy=false") { $0.healthy == false }
            #expect(unhealthy.message?.contains("did not finish within") == true, "\(unhealthy.message ?? "")")
            try await driver.waitFor(state: .killed, task: "slow")
            let checkPIDs = pids(in: pidFile)
            #expect(checkPIDs.count >= 2)
            for pid in checkPIDs {
                try await waitUntil("health check process \(pid) ending") { !Processes.isRunning(pid) }
            }
        }
    }

    @Test func tcpCheckConnectsToThePort() async throws {
        let server = try LoopbackServer()
        defer { server.close() }
        try await withExecutor { executor, driver, _ in
            try await executor.launch(driver, task: shellTask("listening", "sleep 1000", healthCheck: Self.quick(.tcp(port: server.port))))
            try await driver.waitFor(task: "listening", "healthy=true") { $0.healthy == true }
        }
    }

    @Test func tcpCheckFailsOnAClosedPort() async throws {
        let port = try LoopbackServer.unusedPort()
        try await withExecutor { executor, driver, _ in
            try await executor.launch(driver, task: shellTask("deaf", "sleep 1000", healthCheck: Self.quick(.tcp(port: port), failures: 1)))
            let unhealthy = try await driver.waitFor(task: "deaf", "healthy=false") { $0.healthy == false }
            #expect(unhealthy.message?.contains("127.0.0.1:\(port)") == true, "\(unhealthy.message ?? "")")
            try await driver.waitFor(state: .killed, task: "deaf")
        }
    }

    @Test(arguments: [(200, true), (302, true), (503, false)])
    func httpCheckJudgesTheStatus(status: Int, healthy: Bool) async throws {
        let server = try LoopbackServer()
        defer { server.close() }
        let serving = Task { await server.serveHTTP(status: status) }
        defer { serving.cancel() }
        try await withExecutor { executor, driver, _ in
            let task = shellTask("web", "sleep 1000", healthCheck: Self.quick(.http(port: server.port, path: "/health"), failures: 1))
            try await executor.launch(driver, task: task)
            let report = try await driver.waitFor(task: "web", "a health verdict") { $0.healthy != nil }
            #expect(report.healthy == healthy, "\(report.message ?? "")")
            #expect(report.message?.contains("answered \(status)") == true, "\(report.message ?? "")")
        }
        serving.cancel()
        let requests = await serving.value
        #expect(requests.first?.hasPrefix("GET /health HTTP/1.1\r\n") == true, "\(requests)")
    }
}

/// A listening TCP socket on 127.0.0.1 with an ephemeral port, non-blocking.
final class LoopbackServer: Sendable {
    let fd: Int32
    let port: Int

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = in_addr_t(UInt32(0x7F00_0001).bigEndian)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 16) == 0 else { throw TestFailure("bind/listen: \(String(cString: strerror(errno)))") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { throw TestFailure("getsockname: \(String(cString: strerror(errno)))") }
        self.fd = fd
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    /// A port nothing listens on (bound and released at once).
    static func unusedPort() throws -> Int {
        let server = try LoopbackServer()
        server.close()
        return server.port
    }

    func close() { Glibc.close(fd) }

    /// Answers every connection with `status` until cancelled; returns the requests' heads.
    func serveHTTP(status: Int) async -> [String] {
        var requests: [String] = []
        while !Task.isCancelled {
            let client = accept(fd, nil, nil)
            if client < 0 {
                try? await Task.sleep(for: .milliseconds(5))
                continue
            }
            var request: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 1024)
            while !request.ends(with: Array("\r\n\r\n".utf8)) {
                let count = buffer.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
                if count <= 0 { break }
                request.append(contentsOf: buffer[..<count])
            }
            requests.append(String(decoding: request, as: UTF8.self))
            let response = Array("HTTP/1.1 \(status) Status\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".utf8)
            _ = response.withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            Glibc.close(client)
        }
        return requests
    }
}

extension Array where Element: Equatable {
    func ends(with suffix: [Element]) -> Bool { count >= suffix.count && Array(self[(count - suffix.count)...]) == suffix }
}
