import Foundation
import Testing

/// `roost batch` as a user runs it: job files in, exit status and messages out.
@Suite(.timeLimit(.minutes(1)))
struct BatchCommandTests {
    private func jobFile(_ text: String, named name: String = "job.yaml") throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("roost-batch-cli-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = "\(folder)/\(name)"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func aSucceedingJobExitsZeroWithASummary() async throws {
        let file = try jobFile("""
            name: three
            command: echo "index $ROOST_JOB_INDEX"
            resources: cpus:0.1;mem:32
            completions: 3
            parallelism: 2
            completionMode: indexed
            """)
        let result = try await RoostBinary.run(["batch", "run", file, "--agents", "1", "--agent-resources", "cpus:1;mem:256"])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(result.stdout.contains("job three: Succeeded"))
        #expect(result.stdout.contains("tasks: 3 succeeded, 0 failed"))
    }

    @Test func aFailingJobExitsOneWithTheReason() async throws {
        let file = try jobFile(#"{"name": "doomed", "command": "exit 7", "backoffLimit": 0}"#, named: "job.json")
        let result = try await RoostBinary.run(["batch", "run", file, "--agents", "1", "--agent-resources", "cpus:1;mem:256"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("job doomed failed: BackoffLimitExceeded"))
        #expect(result.stdout.contains("exited with code 7"))
    }

    @Test func badSpecsAreRejectedBeforeAnythingRuns() async throws {
        let negative = try await RoostBinary.run(["batch", "run", try jobFile("name: x\ncommand: true\ncompletions: -1\n")])
        #expect(negative.status == 2)
        #expect(negative.stderr.contains("job.completions: must be ≥ 0, got -1"))
        #expect(!negative.stdout.contains("sandboxes"), "no cluster was started")
        let typo = try await RoostBinary.run(["batch", "run", try jobFile("name: x\ncommand: true\nparalelism: 2\n")])
        #expect(typo.status == 2)
        #expect(typo.stderr.contains("unknown field 'paralelism' in job 'x'"))
        let resources = try await RoostBinary.run(["batch", "validate", try jobFile("name: x\ncommand: true\nresources: cpus:many\n")])
        #expect(resources.status == 2)
        #expect(resources.stderr.contains("job.resources: 'cpus:many'"))
    }

    @Test func validatePrintsTheJobWithDefaults() async throws {
        let result = try await RoostBinary.run(["batch", "validate", try jobFile("name: x\ncommand: true\n")])
        #expect(result.status == 0)
        #expect(result.stdout.contains(#""backoffLimit" : 6"#))
        #expect(result.stdout.contains(#""resources" : "cpus:0.1;mem:128""#))
    }
}
