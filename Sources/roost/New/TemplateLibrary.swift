import Foundation
import Mustache

/// One template: a folder `Templates/<kind>/` with a `template.json` manifest and a `files/`
/// tree whose file contents and paths are Mustache templates.
struct ScaffoldTemplate: Sendable {
    /// The template's name, the folder's (`blank`, `batch`, …).
    let kind: String
    /// The one-line description from `template.json`.
    let description: String
    /// The `files/` folder.
    let filesDirectory: String

    /// `template.json`.
    private struct Manifest: Decodable {
        let description: String
    }

    /// Reads the template in `directory`.
    /// - Throws: ``ScaffoldError`` when the manifest is missing or has no description.
    init(directory: String) throws(ScaffoldError) {
        kind = URL(fileURLWithPath: directory).lastPathComponent
        let manifestPath = "\(directory)/template.json"
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: manifestPath))
            description = try JSONDecoder().decode(Manifest.self, from: data).description
        } catch {
            throw ScaffoldError("template '\(kind)': cannot read \(manifestPath): \(error)")
        }
        filesDirectory = "\(directory)/files"
    }

    /// The placeholders a template may use; anything else in `{{…}}` is refused, so a typo in a
    /// template is an error instead of an empty string in the generated code.
    static let placeholders: Set<String> = ["name", "module", "command", "roostPath", "roostPackage"]

    /// Renders every file: its path (relative to the package) and contents, sorted by path.
    /// - Throws: ``ScaffoldError`` naming the template file that does not parse or uses an unknown placeholder.
    func render(_ context: [String: String]) throws(ScaffoldError) -> [(path: String, contents: String)] {
        let manager = FileManager.default
        guard let enumerator = manager.enumerator(atPath: filesDirectory) else {
            throw ScaffoldError("template '\(kind)' has no files/ folder at \(filesDirectory)")
        }
        var rendered: [(path: String, contents: String)] = []
        while let relative = enumerator.nextObject() as? String {
            var isDirectory: ObjCBool = false
            let source = "\(filesDirectory)/\(relative)"
            guard manager.fileExists(atPath: source, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
            guard let text = manager.contents(atPath: source).map({ String(decoding: $0, as: UTF8.self) }) else {
                throw ScaffoldError("cannot read template file \(source)")
            }
            let path = try Self.render(relative, context, in: source)
            let contents = try Self.render(text, context, in: source)
            rendered.append((path, contents))
        }
        guard !rendered.isEmpty else { throw ScaffoldError("template '\(kind)' has no files in \(filesDirectory)") }
        return rendered.sorted { $0.path < $1.path }
    }

    /// Renders one Mustache text as plain text (no HTML escaping), after checking its placeholders.
    static func render(_ text: String, _ context: [String: String], in source: String) throws(ScaffoldError) -> String {
        for name in placeholderNames(in: text) where !placeholders.contains(name) {
            throw ScaffoldError("template file \(source) uses the unknown placeholder '\(name)' (known: \(placeholders.sorted().joined(separator: ", ")))")
        }
        do {
            return try MustacheTemplate(string: "{{% CONTENT_TYPE: TEXT}}" + text).render(context)
        } catch {
            throw ScaffoldError("template file \(source) does not parse: \(error)")
        }
    }

    /// The names inside every `{{name}}` and `{{{name}}}` of `text`.
    static func placeholderNames(in text: String) -> [String] {
        var names: [String] = []
        var rest = text[...]
        while let open = rest.range(of: "{{") {
            rest = rest[open.upperBound...].drop(while: { $0 == "{" })
            guard let close = rest.range(of: "}}") else { break }
            names.append(rest[..<close.lowerBound].trimmingCharacters(in: .whitespaces))
            rest = rest[close.upperBound...]
        }
        return names
    }
}

/// The templates shipped in the Roost checkout this tool was built from.
enum TemplateLibrary {
    /// The root of the Roost checkout: this file is `<root>/Sources/roost/New/TemplateLibrary.swift`.
    static var roostCheckout: String {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .path
    }

    /// `<checkout>/Templates`.
    static var directory: String { "\(roostCheckout)/Templates" }

    /// Every template, sorted by kind.
    /// - Throws: ``ScaffoldError`` when the templates folder is missing (the checkout moved) or a manifest is bad.
    static func all() throws(ScaffoldError) -> [ScaffoldTemplate] {
        let manager = FileManager.default
        let kinds: [String]
        do {
            kinds = try manager.contentsOfDirectory(atPath: directory)
        } catch {
            throw ScaffoldError("the templates folder \(directory) is missing: roost new reads its templates from the Roost checkout it was built from; rebuild roost from a complete checkout")
        }
        var isDirectory: ObjCBool = false
        let folders = kinds.filter { manager.fileExists(atPath: "\(directory)/\($0)/template.json", isDirectory: &isDirectory) }
        guard !folders.isEmpty else { throw ScaffoldError("no templates in \(directory) (each is a folder with a template.json)") }
        var templates: [ScaffoldTemplate] = []
        for kind in folders.sorted() { templates.append(try ScaffoldTemplate(directory: "\(directory)/\(kind)")) }
        return templates
    }

    /// The template named `kind`.
    /// - Throws: ``ScaffoldError`` naming the unknown template and the known ones.
    static func template(_ kind: String) throws(ScaffoldError) -> ScaffoldTemplate {
        let templates = try all()
        guard let template = templates.first(where: { $0.kind == kind }) else {
            throw ScaffoldError("unknown template '\(kind)'; the templates are: \(templates.map(\.kind).joined(separator: ", ")) (see roost new --list)")
        }
        return template
    }
}
