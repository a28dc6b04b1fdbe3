import Foundation
@testable import RoostAgent
import RoostCore
import Testing

/// The journal's encoder: what it writes reads back as the same value, and is the same JSON
/// `JSONEncoder` writes; what it cannot write that way it refuses.
struct StreamingJSONEncoderTests {
    /// The same value back through `JSONDecoder`, and the same JSON as `JSONEncoder` (compared
    /// as parsed objects: key order is free).
    private func expectSameAsJSONEncoder<Value: Codable & Equatable>(_ value: Value, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let streamed = try StreamingJSONEncoder().encode(value)
        #expect(try JSONDecoder().decode(Value.self, from: Data(streamed)) == value, sourceLocation: sourceLocation)
        let reference = try JSONEncoder().encode(value)
        let ours = try JSONSerialization.jsonObject(with: Data(streamed), options: [.fragmentsAllowed]) as? NSObject
        let theirs = try JSONSerialization.jsonObject(with: reference, options: [.fragmentsAllowed]) as? NSObject
        #expect(ours != nil && ours == theirs, "\(String(decoding: streamed, as: UTF8.self)) vs \(String(decoding: reference, as: UTF8.self))", sourceLocation: sourceLocation)
    }

    @Test func aTaskRecordWithEveryFieldReadsBack() throws {
        var task = TaskInfo(
            id: "web-1", name: "web \"front\"", agentID: "agent-7",
            resources: try Resources(parsing: "cpus:1.5;mem:128;disk:0.25;ports:[31000-31002,31010-31010]"),
            command: .shell("echo 'hi' > out\n\tdone"), environment: ["A": "1", "QUOTE\"": "back\\slash", "UNI": "héllo ☃︎ 🐦"],
            workingDirectory: "work/dir", labels: ["tier": "front", "empty": ""],
            healthCheck: HealthCheck(.http(port: 8080, path: "/health?x=1"), delay: .milliseconds(1500), interval: .seconds(3)),
            readinessCheck: ReadinessCheck(.tcp(port: 8081), interval: .seconds(2), timeout: .milliseconds(250)),
            killGracePeriod: .milliseconds(2500))
        task.executor = nil
        let statuses = [
            TaskStatus(taskID: "web-1", state: .running, reason: .taskCheckStatusUpdated, message: "line1\nline2 \u{1} \u{1f}",
                       source: .executor, agentID: "agent-7", executorID: "ex", uuid: UUID(), timestamp: Timestamp(secondsSinceEpoch: 1_700_000_000.125),
                       healthy: true, ready: false, exitCode: -3),
            TaskStatus(taskID: "web-1", state: .finished, source: .agent, timestamp: Timestamp(secondsSinceEpoch: 0)),
        ]
        let record = AgentCheckpoint.TaskRecord(
            frameworkID: "fw", task: task, executorID: "roost-command-executor", state: .running, pending: statuses,
            process: ProcessRecord(pid: 4242, processGroupID: 4242, startTime: UInt64.max, bootID: nil))
        let streamed = try StreamingJSONEncoder().encode(record)
        let back = try JSONDecoder().decode(AgentCheckpoint.TaskRecord.self, from: Data(streamed))
        #expect(back.task == record.task)
        #expect(back.pending == record.pending)
        #expect(back.process == record.process)
        #expect(back.state == record.state && back.frameworkID == record.frameworkID && back.executorID == record.executorID)

        try expectSameAsJSONEncoder(task)
        try expectSameAsJSONEncoder(statuses)
        var argvTask = TaskInfo(id: "t", resources: try Resources(parsing: "cpus:0.01"), command: .argv(["/bin/echo", "a b", ""]))
        argvTask.executor = ExecutorInfo(id: "ex", name: "custom", resources: try Resources(parsing: "mem:32"))
        argvTask.command = nil
        try expectSameAsJSONEncoder(argvTask)
    }

    struct Shapes: Codable, Equatable {
        var text = "tab\t quote\" slash\\ nul\u{0} bell\u{7} del\u{7f} é"
        var numbers: [Double] = [0, -0.0, 0.1, 1, 1e-300, 1.7976931348623157e308, -2.5, 5e-324]
        var floats: [Float] = [0.1, 3.4e38, -1]
        var integers: [Int] = [0, -1, Int.max, Int.min]
        var small: [Int32] = [Int32.min, Int32.max]
        var unsigned: [UInt64] = [0, UInt64.max]
        var bytes: [UInt8] = [0, 255]
        var otherIntegers: [Int64] = [Int64.min]
        var tiny: [Int8] = [-128, 127]
        var short: [Int16] = [-32768]
        var word: [UInt] = [UInt.max]
        var unsignedShort: [UInt16] = [65535]
        var flags: [Bool] = [true, false]
        var nested: [[String]] = [[], ["a"], ["b", "c"]]
        var optionals: [Int?] = [1, nil, 3]
        var absent: String? = nil
        var present: String? = "here"
        var dictionary: [String: [Int]] = ["x": [1, 2], "": []]
        var byNumber: [Int: String] = [1: "one", -2: "minus two"]
        var empty = Empty()
        var emptyArray: [Empty] = [Empty(), Empty()]
    }

    struct Empty: Codable, Equatable {}

    @Test func everyShapeIsTheJSONThatJSONEncoderWrites() throws {
        try expectSameAsJSONEncoder(Shapes())
        try expectSameAsJSONEncoder("just a string")
        try expectSameAsJSONEncoder(42)
        try expectSameAsJSONEncoder([String: String]())
    }

    /// Hand-written conformances that use nested containers, in order.
    struct NestedByHand: Codable, Equatable {
        var a: Int
        var b: [String]
        enum Keys: String, CodingKey { case outer, list, after }
        enum Inner: String, CodingKey { case a }

        init(a: Int, b: [String]) {
            self.a = a
            self.b = b
        }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: Keys.self)
            a = try c.nestedContainer(keyedBy: Inner.self, forKey: .outer).decode(Int.self, forKey: .a)
            var list = try c.nestedUnkeyedContainer(forKey: .list)
            var items: [String] = []
            while !list.isAtEnd { items.append(try list.decode(String.self)) }
            b = items
            _ = try c.decode(Bool.self, forKey: .after)
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: Keys.self)
            var outer = c.nestedContainer(keyedBy: Inner.self, forKey: .outer)
            try outer.encode(a, forKey: .a)
            var list = c.nestedUnkeyedContainer(forKey: .list)
            for item in b { try list.encode(item) }
            try c.encode(true, forKey: .after)
        }
    }

    @Test func nestedContainersUsedInOrderAreWritten() throws {
        try expectSameAsJSONEncoder(NestedByHand(a: 7, b: ["x", "y"]))
        try expectSameAsJSONEncoder([NestedByHand(a: 1, b: []), NestedByHand(a: 2, b: ["z"])])
    }

    /// Writes to a nested container after its parent moved on.
    struct OutOfOrder: Encodable {
        enum Keys: String, CodingKey { case first, second }
        enum Inner: String, CodingKey { case late }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: Keys.self)
            var first = c.nestedContainer(keyedBy: Inner.self, forKey: .first)
            try c.encode(1, forKey: .second)
            try first.encode(2, forKey: .late)
        }
    }

    struct WritesItself: Encodable {
        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(self)
        }
    }

    struct WithData: Encodable {
        var payload = Data([1, 2, 3])
    }

    struct WithSuper: Encodable {
        enum Keys: String, CodingKey { case base }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: Keys.self)
            var base = c.superEncoder().singleValueContainer()
            try base.encode(1)
        }
    }

    @Test func whatOnlyJSONEncoderWritesRightIsRefused() throws {
        #expect(throws: StreamingJSONEncoder.Unsupported.self) { try StreamingJSONEncoder().encode(OutOfOrder()) }
        #expect(throws: StreamingJSONEncoder.Unsupported.self) { try StreamingJSONEncoder().encode(WithData()) }
        #expect(throws: StreamingJSONEncoder.Unsupported.self) { try StreamingJSONEncoder().encode([Date()]) }
        #expect(throws: StreamingJSONEncoder.Unsupported.self) { try StreamingJSONEncoder().encode(WithSuper()) }
        // A value that writes itself as itself (what a primitive without a case here would do
        // through the containers' default methods): refused, not recursed into.
        #expect(throws: StreamingJSONEncoder.Unsupported.self) { try StreamingJSONEncoder().encode([WritesItself()]) }
        #expect(throws: (any Error).self) { try StreamingJSONEncoder().encode([UInt128(7)]) }
        #expect(throws: EncodingError.self) { try StreamingJSONEncoder().encode([Double.nan]) }
        #expect(throws: EncodingError.self) { try StreamingJSONEncoder().encode([Float.infinity]) }
    }
}
