import Foundation
import RoostCore
import RoostTesting
import Testing

struct WorkloadTraceTests {
    /// The error a trace gets, or `nil` when it is accepted.
    func problem(_ text: String) -> InputError? {
        do {
            _ = try WorkloadTrace(json: Data(text.utf8))
            return nil
        } catch {
            return error
        }
    }

    @Test func aFullTraceReadsEveryField() throws {
        let trace = try WorkloadTrace(json: Data("""
            {"agents": [{"id": "a", "resources": "cpus:4;mem:8192", "attributes": {"rack": "r1"}, "count": 3}],
             "frameworks": [{"id": "A", "role": "web", "weight": 2.5, "priority": 7, "maxTasksPerOffer": 4,
                             "tasks": [{"count": 5, "resources": "cpus:1;mem:128", "submitAt": 1.5, "duration": null},
                                       {"resources": "cpus:2", "duration": 30}]}],
             "until": 3600}
            """.utf8))
        #expect(trace.agents == [WorkloadTrace.Agent(id: "a", resources: "cpus:4;mem:8192", attributes: ["rack": "r1"], count: 3)])
        let framework = try #require(trace.frameworks.first)
        #expect(framework.role == "web")
        #expect(framework.weight == 2.5)
        #expect(framework.priority == 7)
        #expect(framework.maxTasksPerOffer == 4)
        #expect(framework.tasks == [
            WorkloadTrace.TaskGroup(count: 5, resources: "cpus:1;mem:128", submitAt: .milliseconds(1_500), duration: nil),
            WorkloadTrace.TaskGroup(count: 1, resources: "cpus:2", submitAt: .zero, duration: .seconds(30)),
        ])
        #expect(trace.until == .seconds(3_600))
        #expect(trace.roleWeights == ["web": 2.5])
    }

    @Test func defaultsFillWhatIsLeftOut() throws {
        let trace = try WorkloadTrace(json: Data("""
            {"agents": [{"id": "a", "resources": "cpus:1"}], "frameworks": [{"id": "A", "tasks": [{"resources": "cpus:1"}]}], "until": 1}
            """.utf8))
        #expect(trace.agents[0].count == 1)
        #expect(trace.frameworks[0].role == .any)
        #expect(trace.frameworks[0].weight == 1)
        #expect(trace.frameworks[0].priority == 0)
        #expect(trace.frameworks[0].maxTasksPerOffer == 1)
        #expect(trace.frameworks[0].tasks == [WorkloadTrace.TaskGroup(resources: "cpus:1")])
    }

    @Test(arguments: [
        // Bad resources deep inside: the path and the parser's reason.
        (#"{"agents": [{"id": "a", "resources": "cpus:4"}], "frameworks": [{"id": "A", "tasks": []}, {"id": "B", "tasks": [{"resources": "cpus:1;mem:lots"}]}], "until": 9}"#,
         "frameworks[1].tasks[0].resources", "'lots' is not a number"),
        (#"{"agents": [{"id": "a", "resources": "cpus:4"}], "frameworks": [{"id": "A", "tasks": [{"resources": "cpus:1", "durations": 5}]}], "until": 9}"#,
         "frameworks[0].tasks[0].durations", "unknown field"),
        (#"{"agents": [{"id": "a", "resources": "cpus:4"}], "frameworks": [{"id": "A"}], "until": 9, "seed": 1}"#,
         "seed", "unknown field"),
        (#"{"agents": [{"id": "a", "resources": "cpus:4"}], "frameworks": [{"id": "A"}]}"#,
         "until", "missing"),
        (#"{"agents": [{"id": "a", "resources": "cpus:4"}], "frameworks": [{"id": "A", "tasks": [{"count": "ten", "resources": "cpus:1"}]}], "until": 9}"#,
         "frameworks[0].tasks[0].count", "expected a number"),
        (#"{"agents": [{"id": "a", "resources": "cpus:4"}], "frameworks": [{"id": "A", "tasks": [{"count": 1.5, "resources": "cpus:1"}]}], "until": 9}"#,
         "frameworks[0].tasks[0].count", "whole number"),
        (#"{"agents": [{"id": "a", "resources": "cpus:4"}], "frameworks": [{"id": "A", "priority": "high"}], "until": 9}"#,
         "frameworks[0].priority", "a number"),
        (#"{"agents": [{"id": "a", "resources": "cpus:4"}], "frameworks": [{"id": "A", "tasks": [{"count": 0, "resources": "cpus:1"}]}], "until": 9}"#,
         "frameworks[0].tasks[0].count", "1 or more"),
        (#"{"agents": [{"id": "a", "resources": "cpus:4"}], "frameworks": [{"id": "A", "tasks": [{"count": 1}]}], "until": 9}"#,
         "frameworks[0].tasks[0].resources", "missing"),
        (#"{"agents": [{"id": "a", "resources": "cpus:4"}], "frameworks": [{"id": "A", "tasks": [{"resources": "cpus:1", "duration": -2}]}], "until": 9}"#,
         "frameworks[0].tasks[0].duration", "more than zero"),
        (#"{"agents": [{"id": "a", "resources": "cpus:4"}], "frameworks": [{"id": "A", "tasks": [{"resources": "cpus:1", "submitAt": 9}]}], "until": 9}"#,
         "frameworks[0].tasks[0].submitAt", "not before until"),
        (#"{"agents": [{"id": "a", "resources": "cpus:4"}], "frameworks": [{"id": "A", "role": "r", "weight": 2}, {"id": "B", "role": "r"}], "until": 9}"#,
         "frameworks[1].weight", "must agree"),
        (#"{"agents": [{"id": "a", "resources": "cpus:4"}], "frameworks": [{"id": "A"}, {"id": "A"}], "until": 9}"#,
         "frameworks[1].id", "already the id of frameworks[0]"),
        (#"{"agents": [{"id": "a", "resources": "cpus:4"}], "frameworks": [{"id": "A", "maxTasksPerOffer": 0}], "until": 9}"#,
         "frameworks[0].maxTasksPerOffer", "1 or more"),
        (#"{"agents": [{"id": "a", "resources": "cpus:4"}], "frameworks": [{"id": "A", "role": "bad role"}], "until": 9}"#,
         "frameworks[0].role", ""),
        (#"{"agents": [{"id": "a", "resources": "cpus:4", "count": 0}], "frameworks": [{"id": "A"}], "until": 9}"#,
         "agents[0].count", "1 or more"),
        (#"{"agents": [], "frameworks": [{"id": "A"}], "until": 9}"#,
         "agents", "at least one agent"),
        (#"{"agents": [{"id": "a", "resources": "cpus:4"}], "frameworks": [{"id": "A"}], "until": 9"#,
         "trace", ""),
    ])
    func malformedTracesNameTheBadField(text: String, field: String, message: String) {
        let error = problem(text)
        #expect(error?.field == field, "\(error.map(\.description) ?? "accepted")")
        #expect(message.isEmpty ? error?.message.isEmpty == false : error?.message.contains(message) == true, "\(error.map(\.description) ?? "accepted")")
    }

    @Test func aTraceBuiltInCodeIsCheckedToo() {
        #expect(throws: InputError(field: "until", "must be a positive number of seconds")) {
            try WorkloadTrace(agents: [.init(id: "a", resources: "cpus:1")], frameworks: [.init(id: "A", tasks: [])], until: .zero)
        }
        #expect(throws: InputError(field: "frameworks[0].tasks[1].count", "must be 1 or more, not 0")) {
            try WorkloadTrace(
                agents: [.init(id: "a", resources: "cpus:1")],
                frameworks: [.init(id: "A", tasks: [.init(resources: "cpus:1"), .init(count: 0, resources: "cpus:1")])], until: .seconds(5))
        }
    }
}
