import Foundation
import Synchronization
import RoostTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Runs the `roost` binary built beside this test bundle.
struct RoostBinary {
    static var path: String {
        let products = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        // The test runner lives in <products>/<package>PackageTests.xctest or its Contents; walk up to find `roost`.
        var directory = products
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("roost").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory.deleteLastPathComponent()
        }
        return products.appendingPathComponent("roost").path
    }

    /// Runs `roost` with `arguments` to completion; returns its exit status and output.
    ///
    /// The wait happens on a thread of its own: a test blocked in it would otherwise hold one
    /// of the cooperative pool's threads (two on a two-core machine), and other suites' async
    /// tests would starve and time out.
    static func run(_ arguments: [String]) async throws -> (status: Int32, stdout: String, stderr: String) {
        try await onOwnThread { try runBlocking(arguments) }
    }

    private static func runBlocking(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
    }
}

@Suite(.timeLimit(.minutes(1)))
struct RoostCommandTests {
    @Test func theBinaryIsBuilt() {
        #expect(FileManager.default.isExecutableFile(atPath: RoostBinary.path), "roost not found at \(RoostBinary.path); build it with swift build")
    }

    @Test func resourcesArePrintedCanonically() async throws {
        let result = try await RoostBinary.run(["resources", "mem:1024; cpus:2 ;ports:[31000-31005,31006-31010]"])
        #expect(result.status == 0)
        #expect(result.stdout == "cpus:2;mem:1024;ports:[31000-31010]\n")
    }

    @Test func badResourcesNameTheTokenAndFail() async throws {
        let result = try await RoostBinary.run(["resources", "cpus:2;mem:lots"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("'mem:lots': 'lots' is not a number"))
    }

    @Test func badFlagsAreRejectedBeforeAnythingStarts() async throws {
        let agents = try await RoostBinary.run(["local", "--agents", "0"])
        #expect(agents.status != 0)
        #expect(agents.stderr.contains("--agents must be between 1 and 64"))
        let policy = try await RoostBinary.run(["local", "--policy", "random"])
        #expect(policy.status != 0)
        #expect(policy.stderr.contains("random"))
        let resources = try await RoostBinary.run(["local", "--agent-resources", "cpus:-1"])
        #expect(resources.status != 0)
        #expect(resources.stderr.contains("--agent-resources"))
    }

    @Test func localRunsUntilInterruptedAndStopsCleanly() async throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("roost-cli-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: work) }
        let roost = try RunningRoost(["local", "--agents", "1", "--agent-resources", "cpus:1;mem:128", "--work-dir", work])
        let (process, output) = (roost.process, roost.output)
        // Whatever happens below, the child does not outlive the test.
        defer { roost.kill() }
        try await waitUntil("the cluster to start", timeout: .seconds(30)) { output.text.contains("press Ctrl-C") }
        #expect(output.text.contains("1 agent(s)"))
        kill(process.processIdentifier, SIGINT)
        try await waitUntil("roost local to exit after SIGINT", timeout: .seconds(30)) { !process.isRunning }
        #expect(process.terminationStatus == 0)
        try await waitUntil("the goodbye line", timeout: .seconds(5)) { output.text.contains("stopped; nothing left running") }
    }
}

/// Output a child process writes, collected as it arrives.
/// A long-running `roost` child process (`master`, `local`, `service run`) whose stdout is
/// collected; its stderr is discarded.
final class RunningRoost: Sendable {
    let process: Process
    let output = CollectedOutput()
    private let pipe = Pipe()

    init(_ arguments: [String]) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: RoostBinary.path)
        process.arguments = arguments
        let output = self.output
        pipe.fileHandleForReading.readabilityHandler = { handle in output.append(handle.availableData) }
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    func signal(_ signal: Int32) { Glibc.kill(process.processIdentifier, signal) }

    /// Ends the child if it still runs, so it never outlives the test.
    func kill() {
        if process.isRunning { Glibc.kill(process.processIdentifier, SIGKILL) }
        pipe.fileHandleForReading.readabilityHandler = nil
    }
}

final class CollectedOutput: Sendable {
    private let buffer = Mutex("")
    func append(_ data: Data) { buffer.withLock { $0 += String(decoding: data, as: UTF8.self) } }
    var text: String { buffer.withLock { $0 } }
}

/// Runs blocking `work` on a new thread and returns its result, leaving the cooperative
/// thread pool free meanwhile.
func onOwnThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try work() }) }.start()
    }
}
