import Foundation
import Testing

extension Tag {
    /// Builds or runs something that takes minutes.
    @Tag static var slow: Self
}

/// A child process run to completion or until a deadline, its output (stdout and stderr
/// together) kept in a file so a chatty build cannot fill a pipe.
struct ChildProcess {
    let status: Int32
    let output: String
    let timedOut: Bool
    let seconds: Double

    /// Runs on a thread of its own (see ``RoostBinary/run(_:)``).
    static func run(_ arguments: [String], in directory: String, timeout: Duration) async throws -> ChildProcess {
        try await onOwnThread { try runBlocking(arguments, in: directory, timeout: timeout) }
    }

    private static func runBlocking(_ arguments: [String], in directory: String, timeout: Duration) throws -> ChildProcess {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("roost-child-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        defer { try? FileManager.default.removeItem(at: log) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.standardOutput = handle
        process.standardError = handle
        let clock = ContinuousClock()
        let started = clock.now
        try process.run()
        var timedOut = false
        while process.isRunning {
            if clock.now - started > timeout {
                timedOut = true
                process.terminate()
                break
            }
            Thread.sleep(forTimeInterval: 0.2)
        }
        process.waitUntilExit()
        try handle.close()
        let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        let elapsed = clock.now - started
        return ChildProcess(
            status: process.terminationStatus, output: output, timedOut: timedOut,
            seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
    }

    /// The last `count` lines of the output, for a failure message.
    func tail(_ count: Int = 60) -> String { output.split(separator: "\n", omittingEmptySubsequences: false).suffix(count).joined(separator: "\n") }
}

/// Every template, scaffolded and then built and tested with SwiftPM as a user would: the
/// generated packages must build without a warning and pass their own tests.
///
/// The four packages share one scratch folder, one after another, so Roost and its
/// dependencies are compiled once rather than four times.
@Suite(.tags(.slow), .timeLimit(.minutes(20)))
struct ScaffoldBuildTests {
    @Test func everyTemplateBuildsAndPassesItsTests() async throws {
        let root = try scaffoldFolder("build")
        let scratch = "\(root)/scratch"
        defer { try? FileManager.default.removeItem(atPath: root) }
        for kind in NewCommandTests.kinds {
            let package = "\(root)/\(kind)-sched"
            let scaffold = try await RoostBinary.run(["new", "\(kind)-sched", "--template", kind, "--output", package])
            try #require(scaffold.status == 0, "roost new --template \(kind): \(scaffold.stderr)")

            let build = try await ChildProcess.run(["swift", "build", "--build-tests", "--scratch-path", scratch], in: package, timeout: .seconds(480))
            print("template \(kind): swift build took \(Int(build.seconds)) s")
            try #require(!build.timedOut, "template \(kind): swift build timed out after \(Int(build.seconds)) s:\n\(build.tail())")
            try #require(build.status == 0, "template \(kind): swift build failed (\(build.status)):\n\(build.tail())")
            let warnings = build.output.split(separator: "\n").filter { $0.contains("warning:") }
            #expect(warnings.isEmpty, "template \(kind): swift build warned:\n\(warnings.joined(separator: "\n"))")

            let test = try await ChildProcess.run(["swift", "test", "--skip-build", "--scratch-path", scratch], in: package, timeout: .seconds(120))
            print("template \(kind): swift test took \(Int(test.seconds)) s")
            #expect(!test.timedOut, "template \(kind): swift test timed out:\n\(test.tail())")
            #expect(test.status == 0, "template \(kind): swift test failed (\(test.status)):\n\(test.tail())")
            let ran = test.output.firstMatch(of: /Test run with (\d+) tests? (in \d+ suites? )?passed/).flatMap { Int($0.1) } ?? 0
            #expect(ran > 0, "template \(kind): no passing Swift Testing run reported:\n\(test.tail())")
            print("template \(kind): \(ran) tests passed")
        }
    }
}
