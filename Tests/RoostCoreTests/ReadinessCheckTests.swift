import Foundation
import RoostCore
import Testing

/// ``ReadinessCheck``, ``TaskInfo/readinessCheck`` and ``TaskStatus/ready``: JSON and validation.
struct ReadinessCheckTests {
    @Test(arguments: [
        ReadinessCheck(.command(.shell("test -f ready"))),
        ReadinessCheck(.http(port: 8080, path: "/ready"), delay: .seconds(5), interval: .milliseconds(1500), timeout: .seconds(2)),
        ReadinessCheck(.tcp(port: 9000), interval: .seconds(1)),
    ])
    func roundTrips(_ check: ReadinessCheck) throws {
        #expect(try JSON.roundTrip(check) == check)
        var task = TaskInfo(id: "t", resources: "cpus:1", command: .shell("true"), readinessCheck: check)
        #expect(try JSON.roundTrip(task) == task)
        task.healthCheck = HealthCheck(.tcp(port: 9000))
        #expect(try JSON.roundTrip(task) == task)
    }

    @Test func fieldNamesAreStable() throws {
        let check = ReadinessCheck(.http(port: 8080, path: "/ready"), delay: .seconds(1), interval: .milliseconds(2500), timeout: .seconds(4))
        #expect(try JSON.string(check) == #"{"delaySeconds":1,"intervalSeconds":2.5,"kind":{"http":{"path":"\/ready","port":8080}},"timeoutSeconds":4}"#)
        let task = try JSON.string(TaskInfo(id: "t", resources: "cpus:1", command: .shell("true"), readinessCheck: check))
        #expect(task.contains(#""readinessCheck":{"delaySeconds":1,"#), "\(task)")
    }

    @Test func decodingFillsMarathonDefaults() throws {
        let check = try JSON.decode(ReadinessCheck.self, from: #"{"kind":{"command":{"shell":"test -f ready"}}}"#)
        #expect(check == ReadinessCheck(.command(.shell("test -f ready"))))
        #expect(check.delay == .zero)
        #expect(check.interval == .seconds(30))
        #expect(check.timeout == .seconds(10))
        #expect(throws: DecodingError.self) { try JSON.decode(ReadinessCheck.self, from: #"{"intervalSeconds":1}"#) }
        #expect(throws: DecodingError.self) { try JSON.decode(ReadinessCheck.self, from: #"{"kind":{}}"#) }
    }

    @Test func tasksWithoutOneKeepTheirJSON() throws {
        // Exactly what TaskInfo and TaskStatus encoded to before readiness checks existed.
        let task = TaskInfo(id: "t", resources: "cpus:1", command: .shell("true"), healthCheck: HealthCheck(.tcp(port: 80)))
        #expect(try JSON.string(task) == #"{"command":{"shell":"true"},"environment":{},"healthCheck":{"consecutiveFailures":3,"delaySeconds":15,"gracePeriodSeconds":10,"intervalSeconds":10,"kind":{"tcp":{"port":80}},"timeoutSeconds":20},"id":"t","labels":{},"name":"t","resources":[{"name":"cpus","role":"*","scalar":{"value":1},"type":"SCALAR"}]}"#)
        #expect(try JSON.decode(TaskInfo.self, from: JSON.string(task)).readinessCheck == nil)
        let status = TaskStatus(taskID: "t", state: .running, source: .executor, timestamp: Timestamp(secondsSinceEpoch: 10), healthy: true)
        #expect(try JSON.string(status) == #"{"healthy":true,"source":"SOURCE_EXECUTOR","state":"TASK_RUNNING","taskID":"t","timestamp":10}"#)
        let report = TaskStatusReport(taskID: "t", state: .running, healthy: false)
        #expect(try JSON.string(report) == #"{"healthy":false,"state":"TASK_RUNNING","taskID":"t"}"#)
    }

    @Test(arguments: [true, false])
    func statusCarriesReady(_ ready: Bool) throws {
        let status = TaskStatus(
            taskID: "t", state: .running, reason: .taskCheckStatusUpdated, source: .executor,
            timestamp: Timestamp(secondsSinceEpoch: 10), ready: ready)
        #expect(try JSON.roundTrip(status) == status)
        let text = try JSON.string(status)
        #expect(text.contains(#""ready":\#(ready)"#), "\(text)")
        #expect(text.contains(#""reason":"REASON_TASK_CHECK_STATUS_UPDATED""#), "\(text)")
        #expect(!text.contains("healthy"), "\(text)")
        let report = TaskStatusReport(taskID: "t", state: .running, healthy: true, ready: ready)
        #expect(try JSON.roundTrip(report) == report)
        let decoded = try JSON.decode(TaskStatus.self, from: #"{"taskID":"t","state":"TASK_RUNNING","source":"SOURCE_EXECUTOR","timestamp":1,"ready":\#(ready)}"#)
        #expect(decoded.ready == ready && decoded.healthy == nil)
    }

    @Test func validationNamesTheField() {
        var task = TaskInfo(id: "web-1", resources: "cpus:1", command: .shell("serve"))
        func field(_ check: ReadinessCheck) -> String? {
            task.readinessCheck = check
            do { try task.validate(); return nil } catch { return error.field }
        }
        #expect(field(ReadinessCheck(.tcp(port: 0))) == "task[web-1].readinessCheck.kind.port")
        #expect(field(ReadinessCheck(.http(port: 70000, path: "/"))) == "task[web-1].readinessCheck.kind.port")
        #expect(field(ReadinessCheck(.command(.shell(" ")))) == "task[web-1].readinessCheck.kind.command.shell")
        #expect(field(ReadinessCheck(.tcp(port: 80), interval: .zero)) == "task[web-1].readinessCheck.intervalSeconds")
        #expect(field(ReadinessCheck(.tcp(port: 80), timeout: .seconds(-1))) == "task[web-1].readinessCheck.timeoutSeconds")
        #expect(field(ReadinessCheck(.tcp(port: 80), delay: .seconds(-1))) == "task[web-1].readinessCheck.delaySeconds")
        #expect(field(ReadinessCheck(.tcp(port: 80))) == nil)
    }
}
