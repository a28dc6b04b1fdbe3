import Foundation
import Testing

/// A fresh folder under the temporary directory.
func scaffoldFolder(_ label: String) throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("roost-new-\(label)-\(UUID().uuidString.prefix(8))").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Every file under `folder`, relative to it, sorted.
func files(in folder: String) -> [String] {
    let enumerator = FileManager.default.enumerator(atPath: folder)
    var found: [String] = []
    while let path = enumerator?.nextObject() as? String {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: "\(folder)/\(path)", isDirectory: &isDirectory), !isDirectory.boolValue { found.append(path) }
    }
    return found.sorted()
}

/// `roost new` without building anything: names, templates, folders, listing, rendering.
@Suite(.timeLimit(.minutes(1)))
struct NewCommandTests {
    static let kinds = ["batch", "blank", "cron", "service"]

    @Test func listShowsEveryTemplateWithADescription() async throws {
        let result = try await RoostBinary.run(["new", "--list"])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.map { String($0.split(separator: " ").first ?? "") } == Self.kinds)
        for line in lines { #expect(line.split(separator: " ").count > 4, "a description follows the name: \(line)") }
    }

    @Test(arguments: ["batch", "blank", "cron", "service"])
    func everyTemplateRendersNamesAndContents(kind: String) async throws {
        let parent = try scaffoldFolder(kind)
        let output = "\(parent)/pkg"
        let result = try await RoostBinary.run(["new", "my-sched", "--template", kind, "--output", output])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let written = files(in: output)
        for required in ["Package.swift", "README.md", ".gitignore"] { #expect(written.contains(required)) }
        #expect(written.contains { $0.hasPrefix("Sources/MySched/MySched") && $0.hasSuffix(".swift") }, "\(written)")
        #expect(written.contains("Sources/MySchedApp/main.swift"))
        #expect(written.contains { $0.hasPrefix("Tests/MySchedTests/MySched") })
        for path in written {
            #expect(result.stdout.contains("  \(path)\n"), "the output names \(path)")
            let text = try String(contentsOfFile: "\(output)/\(path)", encoding: .utf8)
            #expect(!text.contains("{{") && !path.contains("{{"), "\(path) has an unrendered placeholder")
        }
        let manifest = try String(contentsOfFile: "\(output)/Package.swift", encoding: .utf8)
        #expect(manifest.hasPrefix("// swift-tools-version: 6.2"))
        #expect(manifest.contains(#"name: "my-sched""#) && manifest.contains(#"targets: ["MySchedApp"]"#))
        #expect(manifest.contains("swiftLanguageModes: [.v6]"))
        let gitignore = try String(contentsOfFile: "\(output)/.gitignore", encoding: .utf8)
        #expect(gitignore.contains(".build/") && gitignore.contains("Package.resolved"))
        #expect(files(in: parent) == written.map { "pkg/\($0)" }.sorted(), "no temporary folder is left beside it")
    }

    @Test func namesAreConvertedToSwiftIdentifiers() async throws {
        for (name, module) in [("my-sched", "MySched"), ("my_sched", "MySched"), ("mySched", "MySched"), ("web2-front", "Web2Front")] {
            let output = "\(try scaffoldFolder("names"))/out"
            let result = try await RoostBinary.run(["new", name, "--output", output])
            #expect(result.status == 0, "\(name): \(result.stderr)")
            #expect(files(in: output).contains("Sources/\(module)/\(module)Scheduler.swift"), "\(name) becomes \(module)")
        }
    }

    @Test func badNamesAreRefusedAndNothingIsWritten() async throws {
        let cases: [(name: String, says: String)] = [
            ("", "the framework name is empty"),
            ("1sched", "starts with a digit"),
            ("my.sched", "'.' is not allowed"),
            ("my sched", "' ' is not allowed"),
            ("-_-", "has no letters or digits"),
            ("testing", "'Testing' is a module"),
        ]
        for (name, says) in cases {
            let parent = try scaffoldFolder("bad")
            let result = try await RoostBinary.run(["new", "--output", "\(parent)/out", "--", name])
            #expect(result.status == 2, "\(name)")
            #expect(result.stderr.contains(says), "\(name): \(result.stderr)")
            #expect(files(in: parent).isEmpty, "nothing written for \(name)")
        }
    }

    @Test func anUnknownTemplateIsNamed() async throws {
        let parent = try scaffoldFolder("unknown")
        let result = try await RoostBinary.run(["new", "x", "--template", "daemon", "--output", "\(parent)/out"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("unknown template 'daemon'"))
        #expect(result.stderr.contains("blank, cron, service") || result.stderr.contains("batch, blank, cron, service"))
        #expect(files(in: parent).isEmpty)
    }

    @Test func aNonEmptyFolderIsRefusedUnlessForced() async throws {
        let output = try scaffoldFolder("nonempty")
        try "keep me".write(toFile: "\(output)/notes.txt", atomically: true, encoding: .utf8)
        let refused = try await RoostBinary.run(["new", "x", "--output", output])
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("is not empty") && refused.stderr.contains("--force"))
        #expect(files(in: output) == ["notes.txt"], "nothing written")

        let forced = try await RoostBinary.run(["new", "x", "--output", output, "--force"])
        #expect(forced.status == 0, "stderr: \(forced.stderr)")
        #expect(files(in: output).contains("Sources/X/XScheduler.swift"))
        #expect(try String(contentsOfFile: "\(output)/notes.txt", encoding: .utf8) == "keep me")
        #expect(forced.stdout.contains("  Package.swift\n"))
    }

    @Test func theDefaultOutputIsTheNameInTheCurrentFolder() throws {
        let cwd = try scaffoldFolder("cwd")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: RoostBinary.path)
        process.arguments = ["new", "web-front", "--template", "service"]
        process.currentDirectoryURL = URL(fileURLWithPath: cwd)
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(files(in: "\(cwd)/web-front").contains("Sources/WebFront/WebFrontService.swift"))
    }

    @Test func theRoostPathIsTheDependency() async throws {
        let output = "\(try scaffoldFolder("path"))/out"
        let checkout = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
        let result = try await RoostBinary.run(["new", "x", "--output", output])
        #expect(result.status == 0)
        let manifest = try String(contentsOfFile: "\(output)/Package.swift", encoding: .utf8)
        #expect(manifest.contains(#".package(path: "\#(checkout)")"#), "the default is the checkout roost was built from")
        let identity = URL(fileURLWithPath: checkout).lastPathComponent.lowercased()
        #expect(manifest.contains(#"package: "\#(identity)")"#))

        let missing = try await RoostBinary.run(["new", "y", "--output", "\(output)-2", "--roost-path", "/nonexistent/roost"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("/nonexistent/roost is not a Roost checkout"))
    }
}
