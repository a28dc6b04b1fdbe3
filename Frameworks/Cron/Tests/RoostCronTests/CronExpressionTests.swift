import Foundation
import RoostCron
import Testing

/// Each field form, names and macros: what they select (as computed fire times) and how they normalize.
struct CronExpressionTests {
    @Test func singleValues() throws {
        #expect(try fires("30 14 * * *", from: "2026-01-01T00:00:00Z", count: 2)
            == ["2026-01-01T14:30:00+00:00", "2026-01-02T14:30:00+00:00"])
    }

    @Test func listsRangesAndSteps() throws {
        #expect(try fires("0,20,45 9 * * *", from: "2026-01-01T09:10:00Z", count: 3)
            == ["2026-01-01T09:20:00+00:00", "2026-01-01T09:45:00+00:00", "2026-01-02T09:00:00+00:00"])
        #expect(try fires("0 22-23 * * *", from: "2026-01-01T21:00:00Z", count: 3)
            == ["2026-01-01T22:00:00+00:00", "2026-01-01T23:00:00+00:00", "2026-01-02T22:00:00+00:00"])
        #expect(try fires("*/15 * * * *", from: "2026-01-01T10:50:00Z", count: 3)
            == ["2026-01-01T11:00:00+00:00", "2026-01-01T11:15:00+00:00", "2026-01-01T11:30:00+00:00"])
        // 1-30/7 selects days 1, 8, 15, 22 and 29.
        #expect(try fires("0 0 1-30/7 * *", from: "2026-02-16T00:00:00Z", count: 3)
            == ["2026-02-22T00:00:00+00:00", "2026-03-01T00:00:00+00:00", "2026-03-08T00:00:00+00:00"])
        // 5/10 is 5-59/10.
        #expect(try fires("5/10 * * * *", from: "2026-01-01T10:50:00Z", count: 3)
            == ["2026-01-01T10:55:00+00:00", "2026-01-01T11:05:00+00:00", "2026-01-01T11:15:00+00:00"])
    }

    @Test func namesInAnyCase() throws {
        // 2026-01-02 is a Friday.
        #expect(try fires("0 9 * * mon-Fri", from: "2026-01-02T10:00:00Z", count: 2)
            == ["2026-01-05T09:00:00+00:00", "2026-01-06T09:00:00+00:00"])
        #expect(try fires("0 0 1 jan,Jul *", from: "2026-01-02T00:00:00Z", count: 2)
            == ["2026-07-01T00:00:00+00:00", "2027-01-01T00:00:00+00:00"])
        #expect(try CronExpression(parsing: "0 9 * FEB-apr,DEC sun,TUE").description == "0 9 * 2-4,12 0,2")
    }

    @Test func sevenIsSunday() throws {
        // 2026-01-03 is a Saturday, 01-04 a Sunday.
        #expect(try fires("0 12 * * 7", from: "2026-01-01T00:00:00Z", count: 2)
            == ["2026-01-04T12:00:00+00:00", "2026-01-11T12:00:00+00:00"])
        #expect(try fires("0 12 * * 5-7", from: "2026-01-01T00:00:00Z", count: 4)
            == ["2026-01-02T12:00:00+00:00", "2026-01-03T12:00:00+00:00", "2026-01-04T12:00:00+00:00", "2026-01-09T12:00:00+00:00"])
        #expect(try CronExpression(parsing: "0 12 * * 5-7") == CronExpression(parsing: "0 12 * * 0,5,6"))
        #expect(try CronExpression(parsing: "0 12 * * SAT-SUN").description == "0 12 * * 0,6")
        #expect(try CronExpression(parsing: "0 12 * * 7").description == "0 12 * * 0")
    }

    @Test(arguments: [
        ("@yearly", "0 0 1 1 *", "2027-01-01T00:00:00+00:00"),
        ("@annually", "0 0 1 1 *", "2027-01-01T00:00:00+00:00"),
        ("@monthly", "0 0 1 * *", "2026-06-01T00:00:00+00:00"),
        ("@weekly", "0 0 * * 0", "2026-05-24T00:00:00+00:00"),
        ("@daily", "0 0 * * *", "2026-05-21T00:00:00+00:00"),
        ("@midnight", "0 0 * * *", "2026-05-21T00:00:00+00:00"),
        ("@hourly", "0 * * * *", "2026-05-20T11:00:00+00:00"),
        ("@DAILY", "0 0 * * *", "2026-05-21T00:00:00+00:00"),
    ])
    func macros(macro: String, expansion: String, next: String) throws {
        let schedule = try CronSchedule(parsing: macro)
        #expect(schedule.description == expansion)
        // From Wednesday 2026-05-20 10:30 UTC.
        #expect(schedule.next(after: at("2026-05-20T10:30:00Z")) == at(next))
    }

    @Test(arguments: [
        ("*/1 * * * *", "* * * * *"),
        ("0-59 0-23 1-31 1-12 0-6", "0-59 0-23 1-31 1-12 0-6"),
        ("5/10 */6 1-30/7 JAN,feb,3 MON-FRI", "5-55/10 */6 1-29/7 1-3 1-5"),
        ("*/30,15,45 * * * *", "*/15 * * * *"),
        ("1,2,3,5,7,8 * * * *", "1-3,5,7,8 * * * *"),
        ("0 9 * * 1,1,1", "0 9 * * 1"),
    ])
    func normalForm(text: String, normal: String) throws {
        let expression = try CronExpression(parsing: text)
        #expect(expression.description == normal)
        #expect(try CronExpression(parsing: normal) == expression)
    }

    @Test func starRangeIsNotTheSameAsStar() throws {
        // `0-59` is restricted for the day rule and fixed for daylight saving; `*` is not.
        #expect(try CronExpression(parsing: "* * * * *") != CronExpression(parsing: "0-59 0-23 1-31 1-12 0-6"))
    }

    @Test func codableAsNormalizedTextAndZone() throws {
        let schedule = try CronSchedule(parsing: "*/15 9-17 * * MON-FRI", timeZone: "Europe/Berlin")
        let data = try JSONEncoder().encode(schedule)
        let object = try JSONSerialization.jsonObject(with: data) as? [String: String]
        #expect(object == ["expression": "*/15 9-17 * * 1-5", "timeZone": "Europe/Berlin"])
        #expect(try JSONDecoder().decode(CronSchedule.self, from: data) == schedule)
        let bad = Data(#"{"expression": "0 0 30 2 *", "timeZone": "UTC"}"#.utf8)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(CronSchedule.self, from: bad) }
        let expression = try JSONDecoder().decode([CronExpression].self, from: Data(#"["@daily"]"#.utf8))
        #expect(expression.map(\.description) == ["0 0 * * *"])
    }

    @Test func equalityIsByMeaningAndZone() throws {
        let a = try CronSchedule(parsing: "0 9 * * mon-fri", timeZone: "Europe/Berlin")
        let b = try CronSchedule(parsing: "0 9 * * 1,2,3,4,5", timeZone: "Europe/Berlin")
        let c = try CronSchedule(parsing: "0 9 * * 1-5", timeZone: "America/New_York")
        #expect(a == b)
        #expect(Set([a, b, c]).count == 2)
        #expect(a != c)
    }
}
