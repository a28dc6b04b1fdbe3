import Foundation
import RoostTesting
import Testing

/// `roost service` as a user runs it: service files in, live status and exit status out.
@Suite(.timeLimit(.minutes(2)))
struct ServiceCommandTests {
    private func serviceFile(_ text: String, in folder: String? = nil) throws -> String {
        let folder = folder ?? FileManager.default.temporaryDirectory.appendingPathComponent("roost-service-cli-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = "\(folder)/app.yaml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func theExampleIsValid() async throws {
        let example = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Frameworks/Service/Examples/web.yaml").path
        let result = try await RoostBinary.run(["service", "validate", example])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(result.stdout.contains(#""minimumHealthCapacity" : 0.5"#))
        #expect(result.stdout.contains("version "))
    }

    @Test func badFilesAreRejectedBeforeAnythingRuns() async throws {
        let typo = try await RoostBinary.run(["service", "run", try serviceFile("id: x\ncommand: sleep 9\nintances: 2\n")])
        #expect(typo.status == 2)
        #expect(typo.stderr.contains("unknown field 'intances' in service 'x' (did you mean 'instances'?)"))
        #expect(!typo.stdout.contains("sandboxes"), "no cluster was started")
        let capacity = try await RoostBinary.run(["service", "validate", try serviceFile("id: x\ncommand: sleep 9\nupgradeStrategy: {maximumOverCapacity: 2}\n")])
        #expect(capacity.status == 2)
        #expect(capacity.stderr.contains("service.upgradeStrategy.maximumOverCapacity: must be between 0 and 1, got 2"))
    }

    @Test func runShowsHealthyInstancesRedeploysOnHangupAndStopsOnInterrupt() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("roost-service-cli-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let spec = """
            id: app
            command: touch alive; exec sleep 600
            resources: cpus:0.1;mem:16
            instances: 2
            healthCheck: {protocol: COMMAND, command: test -f alive, delaySeconds: 0, intervalSeconds: 0.2}
            killGracePeriodSeconds: 0.5
            """
        let file = try serviceFile(spec, in: folder)
        let roost = try RunningRoost(["service", "run", file, "--agents", "1", "--agent-resources", "cpus:1;mem:256", "--work-dir", "\(folder)/work", "--isolation", "none"])
        let (process, output) = (roost.process, roost.output)
        defer { roost.kill() }
        try await waitUntil("2 healthy instances", timeout: .seconds(60)) { output.text.contains("app v") && output.text.contains("2/2 healthy") }
        #expect(output.text.contains("app.0 v"))

        // A bad edit is reported and changes nothing; a good one scales.
        try "id: app\ncommand: x\ninstances: -3\n".write(toFile: file, atomically: true, encoding: .utf8)
        kill(process.processIdentifier, SIGHUP)
        try await waitUntil("the bad file reported", timeout: .seconds(30)) { output.text.contains("not deployed: service.instances: must be between 0 and 1000, got -3") }
        try spec.replacingOccurrences(of: "instances: 2", with: "instances: 3").write(toFile: file, atomically: true, encoding: .utf8)
        kill(process.processIdentifier, SIGHUP)
        try await waitUntil("3 healthy instances", timeout: .seconds(60)) { output.text.contains("3/3 healthy") }
        #expect(output.text.contains("SIGHUP: deploying \(file): scale"))

        kill(process.processIdentifier, SIGINT)
        try await waitUntil("roost service run to exit after SIGINT", timeout: .seconds(30)) { !process.isRunning }
        #expect(process.terminationStatus == 0)
    }
}
