import Foundation
import RoostCluster
import RoostCore
import RoostService
import RoostTesting
import Testing

/// The service scheduler on an embedded cluster with real processes.
@Suite("Services on an embedded cluster", .tags(.cluster))
struct ClusterServiceTests {
    /// An HTTP server on `$PORT0` that writes its PID to `$PIDS/<task>.pid` and answers
    /// every GET with 200 (python3's standard library, no files served).
    static let httpServer = """
        echo $$ > "$PIDS/$ROOST_TASK_ID.pid"
        exec python3 -c '
        import http.server, os
        class Ok(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200); self.end_headers(); self.wfile.write(b"ok")
            def log_message(self, *args): pass
        http.server.HTTPServer(("127.0.0.1", int(os.environ["PORT0"])), Ok).serve_forever()
        '
        """

    /// A TCP listener on `$PORT0` that closes its socket (but keeps running) once
    /// `$PIDS/<task>.close` exists.
    static let tcpListener = """
        exec python3 -c '
        import os, socket, time
        s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", int(os.environ["PORT0"]))); s.listen(16); s.settimeout(0.1)
        flag = os.path.join(os.environ["PIDS"], os.environ["ROOST_TASK_ID"] + ".close")
        while not os.path.exists(flag):
            try: s.accept()[0].close()
            except socket.timeout: pass
        s.close()
        while True: time.sleep(1)
        '
        """

    @Test("Instances are kept running: one killed from outside is replaced")
    func killedFromOutside() async throws {
        let pids = try temporaryFolder()
        try await TestCluster().run { running in
            let scheduler = try await running.serviceScheduler()
            try await running.withScheduler(scheduler) {
                try await scheduler.deploy(ServiceSpec(
                    id: "sleeper", command: .shell("echo $$ > \"$PIDS/$ROOST_TASK_ID.pid\"; exec sleep 600"), resources: "cpus:0.1;mem:32",
                    environment: ["PIDS": pids], instances: 2, backoff: .milliseconds(100), killGracePeriod: .milliseconds(500)))
                let stable = try await waitFor("2 instances running", service: "sleeper", on: scheduler) { $0.isStable }
                let victim = stable.taskIDs[0]
                try await waitUntil("pid file of \(victim)") { FileManager.default.fileExists(atPath: "\(pids)/\(victim.value).pid") }
                #expect(kill(try pid(of: victim, in: pids), SIGKILL) == 0)
                let after = try await waitFor("a replacement", service: "sleeper", on: scheduler) { status in
                    status.isStable && !status.taskIDs.contains(victim)
                }
                #expect(after.instanceList.count == 2)
                let failure = try #require(after.lastFailure)
                #expect(failure.taskID == victim)
                #expect(failure.state == .failed)
            }
        }
    }

    @Test("An HTTP health check replaces an instance that stops answering")
    func httpHealth() async throws {
        let pids = try temporaryFolder()
        try await TestCluster().run { running in
            let scheduler = try await running.serviceScheduler()
            try await running.withScheduler(scheduler) {
                try await scheduler.deploy(ServiceSpec(
                    id: "web", command: .shell(Self.httpServer), resources: "cpus:0.1;mem:64", environment: ["PIDS": pids],
                    instances: 1, ports: ["http"],
                    healthCheck: .health(.http(portName: "http", path: "/"), delay: .zero, interval: .milliseconds(300),
                                         timeout: .milliseconds(500), gracePeriod: .seconds(30), maxConsecutiveFailures: 2),
                    backoff: .milliseconds(100), killGracePeriod: .milliseconds(200)))
                let healthy = try await waitFor("healthy", service: "web", on: scheduler) { $0.isStable }
                let instance = try #require(healthy.instanceList.first)
                #expect(instance.healthy == true)
                #expect(instance.ports.count == 1)

                // Stop the server: connections are still accepted by the kernel, but nothing answers.
                try await waitUntil("pid file") { FileManager.default.fileExists(atPath: "\(pids)/\(instance.taskID.value).pid") }
                let serverPID = try pid(of: instance.taskID, in: pids)
                #expect(kill(serverPID, SIGSTOP) == 0)
                let replaced = try await waitFor("replaced after failing its checks", service: "web", on: scheduler) { status in
                    status.isStable && status.instanceList.first?.taskID != instance.taskID
                }
                let failure = try #require(replaced.lastFailure)
                #expect(failure.taskID == instance.taskID)
                #expect(failure.reason == TaskStatus.Reason.taskUnhealthy.rawValue)
                #expect(replaced.instanceList.first?.healthy == true)
            }
        }
    }

    @Test("A TCP health check replaces an instance whose listener closes")
    func tcpHealth() async throws {
        let pids = try temporaryFolder()
        try await TestCluster().run { running in
            let scheduler = try await running.serviceScheduler()
            try await running.withScheduler(scheduler) {
                try await scheduler.deploy(ServiceSpec(
                    id: "tcp", command: .shell(Self.tcpListener), resources: "cpus:0.1;mem:64", environment: ["PIDS": pids],
                    instances: 1, ports: ["main"],
                    healthCheck: .health(.tcp(portName: nil), delay: .zero, interval: .milliseconds(300),
                                         timeout: .milliseconds(500), gracePeriod: .seconds(30), maxConsecutiveFailures: 2),
                    backoff: .milliseconds(100), killGracePeriod: .milliseconds(200)))
                let healthy = try await waitFor("healthy", service: "tcp", on: scheduler) { $0.isStable }
                let first = try #require(healthy.instanceList.first).taskID
                #expect(FileManager.default.createFile(atPath: "\(pids)/\(first.value).close", contents: nil))
                let replaced = try await waitFor("replaced", service: "tcp", on: scheduler) { status in
                    status.isStable && status.instanceList.first?.taskID != first
                }
                #expect(replaced.lastFailure?.taskID == first)
            }
        }
    }

    @Test("A rolling upgrade of real processes waits for readiness and leaves no old process")
    func rollingUpgrade() async throws {
        let pids = try temporaryFolder()
        try await TestCluster().run { running in
            let scheduler = try await running.serviceScheduler()
            try await running.withScheduler(scheduler) {
                // Each instance becomes ready a moment after it starts (it creates `ready`).
                func spec(_ version: String) -> ServiceSpec {
                    ServiceSpec(
                        id: "app", command: .shell("echo $$ > \"$PIDS/$ROOST_TASK_ID.pid\"; sleep 0.5; touch ready; exec sleep 600"),
                        resources: "cpus:0.1;mem:32", environment: ["PIDS": pids, "VERSION": version], instances: 2,
                        readinessCheck: .readiness(.command(.shell("test -f ready")), interval: .milliseconds(200)),
                        upgradeStrategy: UpgradeStrategy(minimumHealthCapacity: 0.5, maximumOverCapacity: 0),
                        killGracePeriod: .milliseconds(300))
                }
                try await scheduler.deploy(spec("1"))
                let v1 = try await waitFor("v1 ready", service: "app", on: scheduler) { $0.isStable }
                #expect(v1.instanceList.allSatisfy { $0.ready == true })
                for task in v1.taskIDs {
                    try await waitUntil("pid file of \(task)") { FileManager.default.fileExists(atPath: "\(pids)/\(task.value).pid") }
                }
                let oldPIDs = try v1.taskIDs.map { try pid(of: $0, in: pids) }

                let v2 = spec("2")
                try await scheduler.deploy(v2)
                let done = try await waitFor("v2 ready", service: "app", on: scheduler) { $0.isStable && $0.version == v2.version }
                #expect(Set(done.taskIDs).isDisjoint(with: v1.taskIDs))
                #expect(done.recentDeployments.last?.outcome == .succeeded)
                for old in oldPIDs {
                    try await waitUntil("old process \(old) gone") { kill(old, 0) != 0 }
                }
            }
        }
    }

    @Test("Constraints place real instances, and scaling down stops the oldest first when asked")
    func constraintsAndScaleDown() async throws {
        try await TestCluster(agents: 3, attributes: { ["rack": "r\($0)"] }).run { running in
            let scheduler = try await running.serviceScheduler()
            try await running.withScheduler(scheduler) {
                var spec = try ServiceSpec.decode("""
                    {id: spread, command: exec sleep 600, resources: "cpus:0.1;mem:16", instances: 3,
                     constraints: [[rack, UNIQUE]], killSelection: OLDEST_FIRST, killGracePeriodSeconds: 0.3}
                    """, format: .yaml)
                try await scheduler.deploy(spec)
                let spread = try await waitFor("3 instances on 3 racks", service: "spread", on: scheduler) { $0.isStable }
                #expect(Set(spread.instanceList.compactMap { $0.placement["rack"] }) == ["r0", "r1", "r2"])

                // A fourth cannot be placed: every rack has one.
                spec.instances = 4
                try await scheduler.deploy(spec)
                let blocked = try await waitFor("the fourth reported unplaced", service: "spread", on: scheduler) { status in
                    status.placementProblems.contains { $0.contains("rack:UNIQUE") }
                }
                #expect(blocked.instanceList.count == 3)

                spec.instances = 1
                try await scheduler.deploy(spec, force: true)
                let youngest = try #require(spread.instanceList.max { ($0.startedAt ?? $0.launchedAt) < ($1.startedAt ?? $1.launchedAt) })
                let left = try await waitFor("one instance left", service: "spread", on: scheduler) { $0.isStable }
                #expect(left.taskIDs == [youngest.taskID], "OLDEST_FIRST keeps the youngest")
            }
        }
    }
}
