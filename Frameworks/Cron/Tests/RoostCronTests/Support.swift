import Foundation
import RoostCron

/// An instant written as ISO 8601 with an offset, parsed by Foundation (independently of RoostCron).
func at(_ text: String) -> Date {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime]
    guard let date = formatter.date(from: text) else { fatalError("bad test timestamp \(text)") }
    return date
}

/// The next `count` fire times of `expression` in `zone` after `from`, formatted in the zone.
func fires(_ expression: String, zone: String = "UTC", from: String, count: Int) throws -> [String] {
    let schedule = try CronSchedule(parsing: expression, timeZone: zone)
    return schedule.nextTimes(after: at(from), count: count).map(schedule.formatted)
}

/// The error `expression` (in `zone`) is rejected with, or nil when it parses.
func parseError(_ expression: String, zone: String = "UTC") -> CronError? {
    do {
        _ = try CronSchedule(parsing: expression, timeZone: zone)
        return nil
    } catch {
        return error
    }
}
