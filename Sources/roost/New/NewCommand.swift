import ArgumentParser
import Foundation

/// `roost new MySched --template batch`: scaffolds a framework package that builds and passes its tests at once.
struct NewCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "new",
        abstract: "Create a framework package from a template: a scheduler, an executable running it, tests, a README.",
        discussion: """
            The package depends on Roost by path (the checkout this roost was built from, unless \
            --roost-path says otherwise); `swift build`, `swift test` and `swift run` work in it at once. \
            Names may use letters, digits, '-' and '_' and must not start with a digit: my-sched becomes \
            the module MySched and the executable my-sched. Nothing is written when anything is wrong.
            """
    )

    @Argument(help: "The framework's name, e.g. my-sched (becomes the module MySched).")
    var name: String?

    @Option(help: "The template: blank, batch, service or cron (see --list).")
    var template = "blank"

    @Option(help: "The package folder to create. Default: ./<name>.")
    var output: String?

    @Option(help: "The Roost checkout the package depends on. Default: the one this roost was built from.")
    var roostPath: String?

    @Flag(help: "Write into a folder that is not empty (files of the same name are replaced).")
    var force = false

    @Flag(help: "List the templates and exit.")
    var list = false

    func run() throws {
        do {
            if list {
                let templates = try TemplateLibrary.all()
                let width = templates.map(\.kind.count).max() ?? 0
                for template in templates {
                    say(template.kind.padding(toLength: width + 2, withPad: " ", startingAt: 0) + template.description)
                }
                return
            }
            guard let name else { throw ScaffoldError("missing the framework name: roost new <name> [--template kind]") }
            let plan = try ScaffoldPlan(
                name: name, template: template, output: output ?? name, roostPath: roostPath ?? TemplateLibrary.roostCheckout, force: force)
            let written = try plan.write()
            say("Created \(plan.name.typeName) (template \(plan.template.kind)) in \(plan.outputDirectory):")
            for path in written { say("  \(path)") }
            say("""

                Next:
                  cd \(plan.outputDirectory)
                  swift test                    # builds, then checks the scheduler on RoostTesting's SimulatedCluster
                  swift run \(plan.name.command)\(String(repeating: " ", count: max(1, 20 - plan.name.command.count)))# runs it on an embedded cluster
                """)
        } catch let error as ScaffoldError {
            FileHandle.standardError.write(Data("roost new: \(error.description)\n".utf8))
            throw ExitCode(2)
        }
    }
}

/// Everything `roost new` will write, checked before anything is written.
struct ScaffoldPlan {
    /// The validated name.
    let name: FrameworkName
    /// The template.
    let template: ScaffoldTemplate
    /// The absolute package folder.
    let outputDirectory: String
    /// The rendered files, by path relative to ``outputDirectory``.
    let files: [(path: String, contents: String)]

    /// Validates every input and renders every file; writes nothing.
    /// - Throws: ``ScaffoldError`` for a bad name, an unknown template, a missing Roost checkout,
    ///   a non-empty output folder without `force`, or a template that does not render.
    init(name rawName: String, template kind: String, output: String, roostPath: String, force: Bool) throws(ScaffoldError) {
        name = try FrameworkName(validating: rawName)
        template = try TemplateLibrary.template(kind)
        let manager = FileManager.default
        let cwd = manager.currentDirectoryPath
        outputDirectory = URL(fileURLWithPath: output, relativeTo: URL(fileURLWithPath: cwd, isDirectory: true)).standardizedFileURL.path
        let roost = URL(fileURLWithPath: roostPath, relativeTo: URL(fileURLWithPath: cwd, isDirectory: true)).standardizedFileURL.path
        guard manager.fileExists(atPath: "\(roost)/Package.swift") else {
            throw ScaffoldError("--roost-path \(roost) is not a Roost checkout (no Package.swift there)")
        }
        var isDirectory: ObjCBool = false
        if manager.fileExists(atPath: outputDirectory, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw ScaffoldError("\(outputDirectory) exists and is a file, not a folder") }
            let entries = (try? manager.contentsOfDirectory(atPath: outputDirectory)) ?? []
            if !entries.isEmpty, !force {
                throw ScaffoldError("\(outputDirectory) is not empty (\(entries.count) entries); choose another --output or pass --force to write into it")
            }
        }
        let context = [
            "name": name.typeName,
            "module": name.typeName,
            "command": name.command,
            "roostPath": roost,
            // SwiftPM names a path dependency after its folder, lower-cased.
            "roostPackage": URL(fileURLWithPath: roost).lastPathComponent.lowercased(),
        ]
        files = try template.render(context)
    }

    /// Writes the files; returns their paths relative to the output folder. A new folder is
    /// written in a temporary sibling and moved into place, so it appears whole or not at all.
    /// - Throws: ``ScaffoldError`` when a file cannot be written.
    func write() throws(ScaffoldError) -> [String] {
        let manager = FileManager.default
        let fresh = !manager.fileExists(atPath: outputDirectory)
        let parent = URL(fileURLWithPath: outputDirectory).deletingLastPathComponent().path
        let target = fresh ? "\(parent)/.roost-new-\(UUID().uuidString.prefix(8))" : outputDirectory
        do {
            for file in files {
                let url = URL(fileURLWithPath: "\(target)/\(file.path)")
                try manager.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try Data(file.contents.utf8).write(to: url, options: .atomic)
            }
            if fresh { try manager.moveItem(atPath: target, toPath: outputDirectory) }
        } catch {
            if fresh { try? manager.removeItem(atPath: target) }
            throw ScaffoldError("cannot write into \(outputDirectory): \(error.localizedDescription)")
        }
        return files.map(\.path)
    }
}
