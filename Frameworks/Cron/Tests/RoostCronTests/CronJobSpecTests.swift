import Foundation
import RoostBatch
import RoostCore
import RoostCron
import Testing

/// The cron job spec: YAML/JSON decoding, defaults, errors naming the field, round trips.
struct CronJobSpecTests {
    let file = """
        - name: nightly-report
          schedule: "30 2 * * *"
          timeZone: Europe/Berlin
          concurrencyPolicy: Forbid
          startingDeadlineSeconds: 600
          jobTemplate:
            command: ./report
            resources: cpus:0.5;mem:256
            backoffLimit: 2
        - name: heartbeat
          schedule: "@hourly"
          jobTemplate: { command: [/bin/echo, alive] }
        """

    @Test func decodesAListWithKubernetesDefaults() throws {
        let jobs = try CronJob.decodeList(file, format: .yaml)
        #expect(jobs.map(\.name) == ["nightly-report", "heartbeat"])
        let report = jobs[0]
        #expect(report.schedule == (try CronSchedule(parsing: "30 2 * * *", timeZone: "Europe/Berlin")))
        #expect(report.concurrencyPolicy == .forbid && report.startingDeadline == .seconds(600))
        #expect(report.jobTemplate.command == .shell("./report") && report.jobTemplate.backoffLimit == 2)
        #expect(report.jobTemplate.resources == "cpus:0.5;mem:256")
        let heartbeat = jobs[1]
        #expect(heartbeat.concurrencyPolicy == .allow && heartbeat.startingDeadline == nil && !heartbeat.suspend)
        #expect((heartbeat.successfulJobsHistoryLimit, heartbeat.failedJobsHistoryLimit) == (3, 1))
        #expect(heartbeat.schedule == (try CronSchedule(parsing: "@hourly", timeZone: "UTC")), "the zone defaults to UTC")
        #expect(heartbeat.runJob(at: Timestamp(secondsSinceEpoch: 1_800_000_000)).name == "heartbeat-1800000000")
    }

    @Test func roundTripsThroughJSON() throws {
        let jobs = try CronJob.decodeList(file, format: .yaml)
        let json = String(decoding: try JSONEncoder().encode(jobs), as: UTF8.self)
        #expect(try CronJob.decodeList(json, format: .json) == jobs)
        #expect(try CronJob.decodeList("{name: one, schedule: '@daily', jobTemplate: {command: 'true'}}", format: .yaml).count == 1)
    }

    @Test(arguments: [
        ("name: x\nschedule: '@daily'\njobTemplate: {command: 'true'}\nconcurencyPolicy: Forbid", "unknown field 'concurencyPolicy' in cron job 'x' (did you mean 'concurrencyPolicy'?)"),
        ("name: x\nschedule: '@daily'\njobTemplate: {command: 'true', paralelism: 2}", "unknown field 'paralelism' in the jobTemplate of cron job 'x' (did you mean 'parallelism'?)"),
        ("name: x\nschedule: '@daily'\njobTemplate: {name: y, command: 'true'}", "cronJob.jobTemplate.name: not allowed"),
        ("name: x\nschedule: '61 * * * *'\njobTemplate: {command: 'true'}", "cronJob.schedule: minute 61"),
        ("name: x\nschedule: '@daily'\ntimeZone: Mars/Olympus\njobTemplate: {command: 'true'}", "cronJob.timeZone:"),
        ("name: x\nschedule: '@daily'\njobTemplate: {command: 'true'}\nconcurrencyPolicy: Sometimes", "cronJob.concurrencyPolicy: 'Sometimes' is not one of Allow, Forbid, Replace"),
        ("name: x\nschedule: '@daily'\njobTemplate: {command: 'true', completions: -1}", "cronJob.jobTemplate.completions: must be ≥ 0, got -1"),
        ("name: x\nschedule: '@daily'\njobTemplate: {command: 'true'}\nfailedJobsHistoryLimit: -1", "cronJob.failedJobsHistoryLimit: must be ≥ 0"),
        ("name: x\nschedule: '@daily'\njobTemplate: {command: 'true'}\nstartingDeadlineSeconds: 0", "cronJob.startingDeadlineSeconds: must be > 0"),
        ("name: x\nschedule: '@daily'\njobTemplate: {command: 'true', ttlSecondsAfterFinished: 5}", "cronJob.jobTemplate.ttlSecondsAfterFinished: not allowed"),
        ("name: x\njobTemplate: {command: 'true'}", "schedule: required"),
        ("name: \(String(repeating: "a", count: 53))\nschedule: '@daily'\njobTemplate: {command: 'true'}", "cronJob.name:"),
    ])
    func rejectsBadSpecsNamingTheField(_ yaml: String, _ expected: String) {
        do {
            _ = try CronJob.decodeList(yaml, format: .yaml)
            Issue.record("accepted: \(yaml)")
        } catch {
            #expect(error.message.contains(expected), "\(error.message)")
        }
    }

    @Test func namesTheListPositionOfABadEntry() {
        let yaml = "- {name: a, schedule: '@daily', jobTemplate: {command: 'true'}}\n- {name: a, schedule: '@daily', jobTemplate: {command: 'true'}}"
        #expect(throws: CronSpecError.self) { try CronJob.decodeList(yaml, format: .yaml) }
        do { _ = try CronJob.decodeList(yaml, format: .yaml) } catch {
            #expect(error.message.hasPrefix("cronJobs[1]: cronJob.name: 'a' is used twice"), "\(error.message)")
        }
    }
}
