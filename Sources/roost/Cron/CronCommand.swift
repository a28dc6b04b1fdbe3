import ArgumentParser
import Foundation
import RoostCron

/// `roost cron`: the cron framework's commands.
struct CronCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cron",
        abstract: "Work with cron schedules (the cron sample framework).",
        subcommands: [CronNextCommand.self]
    )
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
