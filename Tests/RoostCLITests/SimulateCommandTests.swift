import Foundation
import Testing

/// `roost simulate` as a user runs it.
@Suite(.timeLimit(.minutes(1)))
struct SimulateCommandTests {
    /// The DRF paper's example: 9 CPUs, 18 GB; A's tasks ⟨1 CPU, 4 GB⟩, B's ⟨3 CPUs, 1 GB⟩.
    static let drfPaper = """
        {"agents": [{"id": "a1", "resources": "cpus:9;mem:18432"}],
         "frameworks": [{"id": "A", "tasks": [{"count": 10, "resources": "cpus:1;mem:4096"}]},
                        {"id": "B", "priority": 1, "tasks": [{"count": 10, "resources": "cpus:3;mem:1024"}]}],
         "until": 60}
        """

    /// Writes `text` to a new file in a fresh temporary folder; returns the folder and the file.
    func write(_ text: String) throws -> (folder: URL, file: String) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("roost-simulate-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let file = folder.appendingPathComponent("trace.json")
        try Data(text.utf8).write(to: file)
        return (folder, file.path)
    }

    @Test func jsonReportsThePapersAnswerPerPolicy() async throws {
        let (folder, file) = try write(Self.drfPaper)
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try await RoostBinary.run(["simulate", "--trace", file, "--policy", "drf", "--policy", "fifo", "--policy", "priority", "--format", "json"])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let policies = try #require(object["policies"] as? [String: [String: Any]])
        func framework(_ policy: String, _ id: String) -> [String: Any]? {
            (policies[policy]?["frameworks"] as? [String: Any])?[id] as? [String: Any]
        }
        #expect(framework("drf", "A")?["tasksLaunched"] as? Int == 3)
        #expect(framework("drf", "B")?["tasksLaunched"] as? Int == 2)
        #expect(framework("drf", "A")?["allocated"] as? String == "cpus:3;mem:12288")
        #expect(abs((framework("drf", "B")?["dominantShare"] as? Double ?? 0) - 2.0 / 3) < 1e-9)
        #expect(framework("fifo", "A")?["tasksLaunched"] as? Int == 4)
        #expect(framework("fifo", "B")?["tasksLaunched"] as? Int == 1)
        #expect(framework("priority", "A")?["tasksLaunched"] as? Int == 0)
        #expect(framework("priority", "B")?["tasksLaunched"] as? Int == 3)
    }

    @Test func theTablePutsPoliciesSideBySideAndThePlotIsWritten() async throws {
        let (folder, file) = try write(Self.drfPaper)
        defer { try? FileManager.default.removeItem(at: folder) }
        let plot = folder.appendingPathComponent("out.svg").path
        let result = try await RoostBinary.run(["simulate", "--trace", file, "--policy", "drf", "--policy", "fifo", "--plot", plot])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        let header = try #require(lines.first)
        #expect(header.split(separator: " ") == ["policy", "drf", "fifo"])
        let launched = lines.filter { $0.contains("launched / finished") }
        #expect(launched.count == 2)
        #expect(launched.first?.split(separator: " ", omittingEmptySubsequences: true).suffix(6) == ["3", "/", "0", "4", "/", "0"])
        #expect(lines.contains { $0.contains("dominant share") && $0.contains("0.667") && $0.contains("0.889") })
        let svg = try String(contentsOfFile: plot, encoding: .utf8)
        #expect(svg.hasPrefix("<?xml"))
        #expect(svg.contains("<svg"))
        #expect(svg.hasSuffix("</svg>\n"))
        // One panel per policy: utilization of cpus and mem, a dominant share per framework.
        #expect(svg.components(separatedBy: "<polyline").count - 1 == 2 * 4)
        #expect(svg.contains(">drf</text>") && svg.contains(">fifo</text>"))
    }

    @Test func aMalformedTraceNamesTheFieldAndFails() async throws {
        let (folder, file) = try write("""
            {"agents": [{"id": "a1", "resources": "cpus:9"}],
             "frameworks": [{"id": "A"}, {"id": "B", "tasks": [{"resources": "cpus:x"}]}], "until": 10}
            """)
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try await RoostBinary.run(["simulate", "--trace", file])
        #expect(result.status == 2)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains("frameworks[1].tasks[0].resources: 'cpus:x'"))
        let missing = try await RoostBinary.run(["simulate", "--trace", folder.appendingPathComponent("absent.json").path])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("absent.json: cannot read"))
        let policy = try await RoostBinary.run(["simulate", "--trace", file, "--policy", "lottery"])
        #expect(policy.status != 0)
        #expect(policy.stderr.contains("lottery"))
    }
}
