import ArgumentParser
import Foundation
import RoostBatch
import RoostCluster
import RoostCore
import RoostCron
import RoostMaster
import UnixSignals

/// `roost cron`: the cron framework's commands.
struct CronCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cron",
        abstract: "Work with cron schedules and run cron jobs (the cron sample framework).",
        discussion: "Cron job files are YAML or JSON: a list of cron jobs or one; see docs/cron.md for every field and its default.",
        subcommands: [CronNextCommand.self, CronRunCommand.self, CronValidateCommand.self]
    )
}

/// `roost cron validate cronjobs.yaml`: checks a cron job file without running anything.
struct CronValidateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check a cron job file and print the cron jobs with every default filled in (JSON)."
    )

    @Argument(help: "The cron job file (.yaml, .yml or .json).")
    var file: String

    func run() async throws {
        say(try JSONText.encode(try loadCronJobs(file)))
    }
}

/// `roost cron run cronjobs.yaml`: runs cron jobs on an embedded cluster until interrupted.
struct CronRunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the cron jobs of a file on an embedded cluster until SIGINT or SIGTERM.",
        discussion: """
            Prints a line when a run starts, when it ends (Succeeded, Failed with the reason, Replaced) and \
            when scheduled times are missed (with the reason). Times are on this machine's clock; each cron \
            job's schedule counts from the start, so the first run is its first scheduled time after now \
            (--run-now also starts one run of each at once, as `kubectl create job --from=cronjob/<name>`). \
            Exits 0 when interrupted, 2 when the file is invalid (nothing runs).
            """
    )

    @Argument(help: "The cron job file (.yaml, .yml or .json).")
    var file: String

    @Flag(help: "Also start one run of every cron job at once, outside its schedule.")
    var runNow = false

    @OptionGroup var options: ClusterOptions

    func run() async throws {
        let jobs = try loadCronJobs(file)
        let logger = options.bootstrapLogging()
        let cluster = LocalCluster(configuration: try options.configuration(logger: logger))
        try await cluster.run { running in
            let scheduler = try await CronScheduler(configuration: .init(
                agentWorkDirectories: await running.agentDirectories(), logger: logger))
            for job in jobs { try await scheduler.add(job) }
            say("roost cron: \(jobs.count) cron job(s) on \(running.agents.count) agent(s); Ctrl-C to stop")
            say("sandboxes: \(running.workDirectory)")
            for status in await scheduler.statuses {
                let schedule = jobs.first { $0.name == status.name }!.schedule
                say("  \(status.name): \(status.schedule), next run \(status.nextRunTime.map { schedule.formatted($0.date) } ?? "never")")
            }
            say()
            let driver = running.driver(for: await scheduler.frameworkInfo)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await scheduler.run { try await driver.run($0) } }
                group.addTask {
                    for await signal in await UnixSignalsSequence(trapping: .sigint, .sigterm) {
                        say("\n\(signal): stopping; killing the runs' tasks")
                        break
                    }
                }
                group.addTask { try await CronWatcher(jobs: jobs).watch(scheduler) }
                if runNow {
                    for job in jobs {
                        do { try await scheduler.trigger(job.name) } catch {
                            say("\(job.name): cannot start a run now: \(error)")
                        }
                    }
                }
                _ = try await group.next()
                await driver.stop(failover: false)
                group.cancelAll()
            }
        }
    }
}

/// Prints cron jobs' fires, outcomes and misses as they happen (checked four times a second).
struct CronWatcher {
    let jobs: [CronJob]

    func watch(_ scheduler: CronScheduler) async throws {
        var seenRuns: Set<String> = []
        var seenOutcomes: Set<String> = []
        var seenMisses: Set<MissedRun> = []
        while !Task.isCancelled {
            for status in await scheduler.statuses {
                guard let schedule = jobs.first(where: { $0.name == status.name })?.schedule else { continue }
                for run in status.active + status.history where seenRuns.insert(run.jobName).inserted {
                    let kind = run.manual ? "manual run" : "run"
                    line("\(status.name): \(kind) \(run.jobName) started (scheduled \(schedule.formatted(run.scheduledTime.date)))")
                }
                for run in status.history where seenOutcomes.insert(run.jobName).inserted {
                    let outcome = run.outcome?.rawValue ?? "?"
                    let reason = run.reason.map { " (\($0))" } ?? ""
                    line("\(status.name): run \(run.jobName) \(outcome)\(reason): \(run.message ?? "")")
                    if run.outcome == .failed, let task = await scheduler.batch.status(of: run.jobName)?.tasks.last {
                        line("  stderr: \(task.sandbox)/stderr")
                    }
                }
                for missed in status.missed where seenMisses.insert(missed).inserted {
                    line("\(status.name): missed \(missed.count) run(s) (\(missed.reason)): \(missed.message)")
                }
            }
            try await Task.sleep(for: .milliseconds(250))
        }
    }

    private func line(_ text: String) {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withTime, .withColonSeparatorInTime]
        say("\(formatter.string(from: Date()))  \(text)")
    }
}

/// Loads and validates a cron job file, or exits 2 with the problem (naming the field).
func loadCronJobs(_ file: String) throws -> [CronJob] {
    do {
        return try CronJob.load(contentsOf: file)
    } catch {
        FileHandle.standardError.write(Data("error: \(file): \(error.message)\n".utf8))
        throw ExitCode(2)
    }
}

extension Timestamp {
    /// The same instant as a `Date`, for formatting in a schedule's zone.
    var date: Date { Date(timeIntervalSince1970: secondsSinceEpoch) }
}

/// `roost cron next`: when a cron expression fires next.
struct CronNextCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "next",
        abstract: "Print the next fire times of a cron expression, one ISO 8601 time per line.",
        discussion: """
            Times are printed in the schedule's zone with its offset. Daylight saving follows Vixie cron: \
            a fixed time skipped by spring-forward fires right after the gap, a repeated one once at its \
            first occurrence; schedules with * in the minute or hour field follow the clock. See docs/cron.md.
            Example: roost cron next '30 2 * * *' --tz America/New_York --from 2026-03-07T00:00:00-05:00 --count 3
            """
    )

    @Argument(help: "A cron expression: five fields (minute hour day-of-month month day-of-week) or a macro such as @daily.")
    var expression: String

    @Option(name: .customLong("tz"), help: "The IANA time zone the expression is read in.")
    var timeZone = "UTC"

    @Option(help: "Start after this ISO 8601 time with an offset, such as 2026-03-08T00:00:00Z (default: now).")
    var from: String?

    @Option(help: "How many fire times to print.")
    var count = 5

    func validate() throws {
        guard count >= 1 else { throw ValidationError("--count must be 1 or more, not \(count)") }
        do {
            _ = try CronSchedule(parsing: expression, timeZone: timeZone)
        } catch {
            throw ValidationError(error.message)
        }
        if let from, Self.parseTime(from) == nil {
            throw ValidationError("--from \"\(from)\" is not an ISO 8601 time with an offset, such as 2026-03-08T00:00:00Z")
        }
    }

    func run() throws {
        let schedule = try CronSchedule(parsing: expression, timeZone: timeZone)
        let start = from.flatMap(Self.parseTime) ?? Date()
        let times = schedule.nextTimes(after: start, count: count)
        for time in times { print(schedule.formatted(time)) }
        if times.count < count {
            FileHandle.standardError.write(Data("Error: \"\(schedule)\" in \(timeZone) has no more fire times within 400 years\n".utf8))
            throw ExitCode.failure
        }
    }

    /// Parses ISO 8601 with an offset (or Z), with or without fractional seconds.
    static func parseTime(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text)
    }
}
