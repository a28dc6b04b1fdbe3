import RoostCore

extension BatchJob {
    /// Checks every field's value, so a bad spec is refused before anything runs.
    ///
    /// ``BatchScheduler/submit(_:)`` calls it; ``decode(_:format:)`` and ``init(contentsOf:)``
    /// call it after decoding.
    /// - Throws: ``BatchSpecError`` with code `invalidValue` naming the first bad field, such as
    ///   `job.completions: must be ≥ 0, got -1`.
    public func validate() throws(BatchSpecError) {
        try Self.validateName(name)
        switch command {
        case .shell(let line) where line.allSatisfy(\.isWhitespace):
            throw .invalid("job.command", "must not be empty; for example command: echo hello")
        case .argv(let argv) where argv.first?.isEmpty ?? true:
            throw .invalid("job.command", "a list must start with the program to run, such as [/bin/echo, hello]")
        default:
            break
        }
        if resources.isEmpty {
            throw .invalid("job.resources", "a task must use some resources, for example cpus:0.1;mem:32")
        }
        for key in environment.keys.sorted() {
            if key.isEmpty || key.contains("=") || key.contains("\0") {
                throw .invalid("job.environment", "'\(key)' is not a valid variable name")
            }
            if key.hasPrefix("ROOST_") {
                throw .invalid("job.environment", "'\(key)' is reserved: Roost sets ROOST_* variables itself; choose another name")
            }
        }
        try Self.checkCount(completions, field: "job.completions")
        try Self.checkCount(parallelism, field: "job.parallelism")
        if backoffLimit < 0 { throw .invalid("job.backoffLimit", "must be ≥ 0, got \(backoffLimit)") }
        if maxBackoff < backoff {
            throw .invalid("job.maxBackoffSeconds", "must be ≥ backoffSeconds (\(backoff.seconds)), got \(maxBackoff.seconds)")
        }
        if let activeDeadline, activeDeadline <= .zero {
            throw .invalid("job.activeDeadlineSeconds", "must be > 0, got \(activeDeadline.seconds); leave it out for no deadline")
        }
        for (index, rule) in failureRules.enumerated() {
            let field = "job.failureRules[\(index)].onExitCodes.values"
            if rule.values.isEmpty { throw .invalid(field, "must list at least one exit code") }
            if rule.operator == .in && rule.values.contains(0) {
                throw .invalid(field, "must not contain 0 with operator 'in': exit code 0 is success")
            }
        }
        for (index, constraint) in constraints.enumerated() {
            try constraint.validate(field: "job.constraints[\(index)]", as: BatchSpecError.self)
        }
    }

    /// Checks a job name: a Kubernetes object name (RFC 1123 label) of at most 63 characters.
    /// - Throws: ``BatchSpecError`` naming `job.name`.
    public static func validateName(_ name: String) throws(BatchSpecError) {
        let allowed = name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }
        guard !name.isEmpty, name.count <= 63, allowed, name.first != "-", name.last != "-" else {
            throw .invalid("job.name", "'\(name)' must be 1–63 lowercase letters, digits and '-', starting and ending with a letter or digit")
        }
    }

    private static func checkCount(_ value: Int, field: String) throws(BatchSpecError) {
        if value < 0 { throw .invalid(field, "must be ≥ 0, got \(value)") }
        if value > maxCompletions { throw .invalid(field, "must be ≤ \(maxCompletions), got \(value)") }
    }
}
