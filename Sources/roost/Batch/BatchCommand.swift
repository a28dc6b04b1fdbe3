import ArgumentParser
import Foundation
import RoostAgent
import RoostBatch
import RoostCluster
import RoostCore
import RoostMaster
import UnixSignals

/// `roost batch`: batch jobs (Kubernetes Job–style) on the embedded cluster.
struct BatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "batch",
        abstract: "Run batch jobs: a command run to a number of completions, in parallel, with retries and deadlines.",
        discussion: "Job files are YAML or JSON; see docs/batch.md for every field and its default.",
        subcommands: [BatchRun.self, BatchValidate.self]
    )
}

/// `roost batch validate job.yaml`: checks a job file without running anything.
struct BatchValidate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check a job file and print the job with every default filled in (JSON)."
    )

    @Argument(help: "The job file (.yaml, .yml or .json).")
    var file: String

    func run() async throws {
        let job = try loadJob(file)
        say(try JSONText.encode(job))
    }
}

/// `roost batch run job.yaml`: runs one job on an embedded cluster and shows its progress.
struct BatchRun: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a job file on an embedded cluster until the job succeeds or fails.",
        discussion: """
            Prints a progress line when the job changes and a summary at the end. Exits 0 when the job \
            succeeded, 1 with the reason when it failed (BackoffLimitExceeded, DeadlineExceeded, \
            FailedByRule), 2 when the job file is invalid (nothing runs), 130 when interrupted.
            """
    )

    @Argument(help: "The job file (.yaml, .yml or .json).")
    var file: String

    @OptionGroup var options: ClusterOptions

    @Flag(help: "Print the final job status as JSON instead of the summary.")
    var json = false

    func run() async throws {
        let job = try loadJob(file)
        let logger = options.bootstrapLogging()
        let cluster = LocalCluster(configuration: try options.configuration(logger: logger))
        let started = ContinuousClock.now
        let outcome = try await cluster.run { running -> JobStatus? in
            let scheduler = try await BatchScheduler(configuration: .init(
                agentWorkDirectories: await running.agentDirectories(), logger: logger))
            try await scheduler.submit(job)
            if !json {
                say("roost batch: job \(job.name) (\(job.completions) completion(s), parallelism \(job.parallelism)) on \(running.agents.count) agent(s)")
                say("sandboxes: \(running.workDirectory)\n")
            }
            let driver = running.driver(for: await scheduler.frameworkInfo)
            return try await withThrowingTaskGroup(of: JobStatus?.self) { group in
                group.addTask {
                    try await scheduler.run { try await driver.run($0) }
                    return nil
                }
                group.addTask {
                    for await signal in await UnixSignalsSequence(trapping: .sigint, .sigterm) {
                        say("\n\(signal): stopping; killing the job's tasks")
                        break
                    }
                    return nil
                }
                group.addTask { try await watch(job, on: scheduler, since: started) }
                let first = try await group.next() ?? nil
                await driver.stop(failover: false)
                group.cancelAll()
                return first
            }
        }
        guard let status = outcome else { throw ExitCode(130) }
        if json {
            say(try JSONText.encode(status))
        } else {
            say()
            summarize(status, elapsed: ContinuousClock.now - started)
        }
        guard status.condition.kind == .succeeded else {
            FileHandle.standardError.write(Data("job \(status.name) failed: \(status.failureReason?.name ?? "unknown reason"): \(status.condition.message)\n".utf8))
            throw ExitCode(1)
        }
    }

    /// Prints a progress line whenever the job's condition or counts change (checked four times a second),
    /// until the job finishes; returns its final status.
    private func watch(_ job: BatchJob, on scheduler: BatchScheduler, since started: ContinuousClock.Instant) async throws -> JobStatus? {
        var last = ""
        while true {
            guard let status = await scheduler.status(of: job.name) else { return nil }
            if status.isFinished { return status }
            let line = "\(status.condition.kind.rawValue): \(status.active) active, \(status.succeeded)/\(job.completions) succeeded, \(status.failed) failed"
                + (status.ignored > 0 ? ", \(status.ignored) ignored" : "")
            if line != last, !json {
                say(String(format: "%5.1fs  ", (ContinuousClock.now - started).seconds) + line)
                last = line
            }
            try await Task.sleep(for: .milliseconds(250))
        }
    }

    private func summarize(_ status: JobStatus, elapsed: Duration) {
        let condition = status.condition
        say("job \(status.name): \(condition.kind.rawValue)\(condition.reason.map { " (\($0))" } ?? "") — \(condition.message)")
        say("tasks: \(status.succeeded) succeeded, \(status.failed) failed, \(status.ignored) ignored, \(status.tasks.count) launched")
        let ended = status.tasks.filter { $0.outcome == .failed || $0.outcome == .ignored }
        for task in ended.suffix(5) {
            let index = task.index.map { " index \($0)" } ?? ""
            say("  \(task.taskID)\(index): \(task.message ?? task.state.rawValue); stderr: \(task.sandbox)/stderr")
        }
        say(String(format: "finished in %.1f s", elapsed.seconds))
    }
}

/// Loads and validates a job file, or exits 2 with the problem (naming the field).
func loadJob(_ file: String) throws -> BatchJob {
    do {
        return try BatchJob(contentsOf: file)
    } catch {
        FileHandle.standardError.write(Data("error: \(file): \(error.message)\n".utf8))
        throw ExitCode(2)
    }
}

extension LocalCluster.Running {
    /// Each agent's work directory (`<work>/agent-<i>`), by agent ID, for absolute sandbox paths.
    func agentDirectories() async -> [AgentID: String] {
        var directories: [AgentID: String] = [:]
        for (index, agent) in agents.enumerated() {
            if let id = await agent.agentID { directories[id] = "\(workDirectory)/agent-\(index)" }
        }
        return directories
    }
}
