import Foundation
import RoostBatch
import RoostCore
import Testing

@Suite struct SpecTests {
    @Test func yamlWithOnlyRequiredFieldsTakesKubernetesDefaults() throws {
        let job = try BatchJob.decode("name: hello\ncommand: echo hi\n", format: .yaml)
        #expect(job.name == "hello")
        #expect(job.command == .shell("echo hi"))
        #expect(job.resources == BatchJob.defaultResources)
        #expect(job.completions == 1)
        #expect(job.parallelism == 1)
        #expect(job.completionMode == .nonIndexed)
        #expect(job.backoffLimit == 6)
        #expect(job.backoff == .seconds(10))
        #expect(job.maxBackoff == .seconds(360))
        #expect(job.activeDeadline == nil)
        #expect(job.ttlAfterFinished == nil)
        #expect(!job.suspend)
    }

    @Test func everyFieldDecodesFromYAML() throws {
        let yaml = """
            name: thumbnails
            command: [/bin/echo, "$ROOST_JOB_INDEX"]
            resources: cpus:0.5;mem:256
            environment: {BUCKET: photos}
            completions: 8
            parallelism: 3
            completionMode: Indexed
            backoffLimit: 4
            backoffSeconds: 2
            maxBackoffSeconds: 30
            activeDeadlineSeconds: 600
            failureRules:
              - action: FailJob
                onExitCodes: {operator: In, values: [42]}
              - action: ignore
                onExitCodes: {operator: notIn, values: [1, 2]}
            suspend: true
            constraints:
              - {attribute: rack, operator: like, value: "r[12]"}
              - {attribute: hostname, operator: UNIQUE}
            ttlSecondsAfterFinished: 3600
            killGracePeriodSeconds: 1.5
            """
        let job = try BatchJob.decode(yaml, format: .yaml)
        #expect(job.command == .argv(["/bin/echo", "$ROOST_JOB_INDEX"]))
        #expect(job.resources == "cpus:0.5;mem:256")
        #expect(job.environment == ["BUCKET": "photos"])
        #expect(job.completionMode == .indexed)
        #expect((job.completions, job.parallelism, job.backoffLimit) == (8, 3, 4))
        #expect((job.backoff, job.maxBackoff) == (.seconds(2), .seconds(30)))
        #expect(job.activeDeadline == .seconds(600))
        #expect(job.failureRules == [
            FailureRule(action: .failJob, operator: .in, values: [42]),
            FailureRule(action: .ignore, operator: .notIn, values: [1, 2]),
        ])
        #expect(job.suspend)
        #expect(job.constraints == [
            PlacementConstraint(attribute: "rack", operator: .like, value: "r[12]"),
            PlacementConstraint(attribute: "hostname", operator: .unique),
        ])
        #expect(job.ttlAfterFinished == .seconds(3600))
        #expect(job.killGracePeriod == .milliseconds(1500))
    }

    @Test func constraintsTakeMarathonsArrayAndTextFormsAndItsOperators() throws {
        let yaml = """
            name: placed
            command: true
            constraints:
              - [hostname, UNIQUE]
              - [rack, GROUP_BY, 3]
              - {attribute: rack, operator: MAX_PER, value: 2}
              - {attribute: zone, operator: cluster}
              - [hostname, MAX_PER, "2"]
              - rack:LIKE:r[0-9]
            """
        let job = try BatchJob.decode(yaml, format: .yaml)
        #expect(job.constraints == [
            PlacementConstraint(attribute: "hostname", operator: .unique),
            PlacementConstraint(attribute: "rack", operator: .groupBy, value: "3"),
            PlacementConstraint(attribute: "rack", operator: .maxPer, value: "2"),
            PlacementConstraint(attribute: "zone", operator: .cluster),
            PlacementConstraint(attribute: "hostname", operator: .maxPer, value: "2"),
            PlacementConstraint(attribute: "rack", operator: .like, value: "r[0-9]"),
        ])
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let encoded = String(decoding: try encoder.encode(job), as: UTF8.self)
        #expect(encoded.contains(#"{"attribute":"rack","operator":"groupBy","value":"3"}"#), "written in the object form: \(encoded)")
        #expect(try BatchJob.decode(encoded, format: .json) == job)
    }

    @Test func equalsFromEarlierJobFilesStillDecodesAsCluster() throws {
        let job = try BatchJob.decode("name: old\ncommand: true\nconstraints: [{attribute: rack, operator: equals, value: r1}]", format: .yaml)
        #expect(job.constraints == [PlacementConstraint(attribute: "rack", operator: .cluster, value: "r1")])
    }

    @Test func jsonAndYAMLAgreeAndEncodingRoundTrips() throws {
        let json = #"{"name": "x", "command": "exit 0", "completions": 3, "failureRules": [{"action": "count", "onExitCodes": {"values": [7]}}]}"#
        let fromJSON = try BatchJob.decode(json, format: .json)
        let fromYAML = try BatchJob.decode(json, format: .yaml)
        #expect(fromJSON == fromYAML)
        #expect(fromJSON.failureRules == [FailureRule(action: .count, operator: .in, values: [7])])
        let encoded = String(decoding: try JSONEncoder().encode(fromJSON), as: UTF8.self)
        #expect(try BatchJob.decode(encoded, format: .json) == fromJSON)
    }

    @Test func readsAFileByItsExtension() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try "name: from-file\ncommand: true\ncompletions: 2\n".write(toFile: "\(folder)/job.yaml", atomically: true, encoding: .utf8)
        try #"{"name": "from-json", "command": "true"}"#.write(toFile: "\(folder)/job.json", atomically: true, encoding: .utf8)
        #expect(try BatchJob(contentsOf: "\(folder)/job.yaml").completions == 2)
        #expect(try BatchJob(contentsOf: "\(folder)/job.json").name == "from-json")
        let missing = #expect(throws: BatchSpecError.self) { try BatchJob(contentsOf: "\(folder)/nope.yaml") }
        #expect(missing?.code == .unreadable)
        #expect(missing?.message.contains("nope.yaml") == true)
    }

    @Test(arguments: [
        ("name: x\ncommand: true\ncompletions: -1", "job.completions: must be ≥ 0, got -1"),
        ("name: x\ncommand: true\nparallelism: -2", "job.parallelism: must be ≥ 0, got -2"),
        ("name: x\ncommand: true\nbackoffLimit: -1", "job.backoffLimit: must be ≥ 0, got -1"),
        ("name: x\ncommand: true\nresources: cpus:lots", "job.resources: 'cpus:lots'"),
        ("name: x\ncommand: '  '", "job.command: must not be empty"),
        ("name: x\ncommand: true\nactiveDeadlineSeconds: 0", "job.activeDeadlineSeconds: must be > 0"),
        ("name: x\ncommand: true\nactiveDeadlineSeconds: -5", "job.activeDeadlineSeconds: -5.0 is not a valid duration"),
        ("name: x\ncommand: true\ncompletions: five", "job.completions: expected a whole number"),
        ("name: Bad_Name\ncommand: true", "job.name: 'Bad_Name' must be"),
        ("name: x\ncommand: true\nenvironment: {ROOST_JOB_INDEX: '3'}", "job.environment: 'ROOST_JOB_INDEX' is reserved"),
        ("name: x\ncommand: true\nbackoffSeconds: 20\nmaxBackoffSeconds: 10", "job.maxBackoffSeconds: must be ≥ backoffSeconds"),
        ("name: x\ncommand: true\nfailureRules: [{action: explode, onExitCodes: {values: [1]}}]", "job.failureRules[0].action: 'explode' is not one of failJob, ignore, count"),
        ("name: x\ncommand: true\nfailureRules: [{action: ignore, onExitCodes: {values: [0]}}]", "job.failureRules[0].onExitCodes.values: must not contain 0"),
        ("name: x\ncommand: true\nconstraints: [{attribute: rack, operator: like, value: '(r1'}]", "job.constraints[0].value: '(r1' is not a regular expression"),
        ("name: x\ncommand: true\nconstraints: [{attribute: rack, operator: maxPer, value: x}]", "job.constraints[0].value: operator 'maxPer' needs a whole number ≥ 1, got 'x'"),
        ("name: x\ncommand: true\nconstraints: [[rack, GROUP_BY, '0']]", "job.constraints[0].value: operator 'groupBy' takes a whole number ≥ 1"),
        ("name: x\ncommand: true\nconstraints: [[rack, NEAR, r1]]", "job.constraints[0][1]: 'NEAR' is not one of unique, cluster, groupBy, like, unlike, maxPer"),
        ("name: x\ncommand: true\nconstraints: [{attribute: rack, operator: unique, value: r1}]", "job.constraints[0].value: operator 'unique' takes no value"),
        ("name: x\ncommand: true\ncompletionMode: sometimes", "job.completionMode: 'sometimes' is not one of nonIndexed, indexed"),
    ])
    func badValuesAreRejectedNamingTheField(yaml: String, expected: String) throws {
        let error = #expect(throws: BatchSpecError.self) { try BatchJob.decode(yaml, format: .yaml) }
        #expect(error?.code == .invalidValue)
        #expect(error?.message.hasPrefix(expected) == true, "\(error?.message ?? "no error") should start with \(expected)")
    }

    @Test func missingFieldsAreNamedWithAnExample() throws {
        let noCommand = #expect(throws: BatchSpecError.self) { try BatchJob.decode("name: x\n", format: .yaml) }
        #expect(noCommand?.code == .missingField)
        #expect(noCommand?.message.hasPrefix("job.command: required; for example") == true)
        let noName = #expect(throws: BatchSpecError.self) { try BatchJob.decode("command: true\n", format: .yaml) }
        #expect(noName?.code == .missingField)
        #expect(noName?.message.hasPrefix("job.name: required") == true)
        let noCodes = #expect(throws: BatchSpecError.self) {
            try BatchJob.decode("name: x\ncommand: true\nfailureRules: [{action: ignore}]", format: .yaml)
        }
        #expect(noCodes?.code == .missingField)
        #expect(noCodes?.message.hasPrefix("job.failureRules[0].onExitCodes: required") == true)
    }

    @Test func unknownFieldsAreRejectedWithASuggestion() throws {
        let typo = #expect(throws: BatchSpecError.self) {
            try BatchJob.decode("name: x\ncommand: true\nparalelism: 3\n", format: .yaml)
        }
        #expect(typo?.code == .unknownField)
        #expect(typo?.message == "unknown field 'paralelism' in job 'x' (did you mean 'parallelism'?)")
        let nested = #expect(throws: BatchSpecError.self) {
            try BatchJob.decode(#"{"name": "y", "command": "true", "constraints": [{"attribute": "a", "operator": "unique", "valeu": "b"}]}"#, format: .json)
        }
        #expect(nested?.message == "unknown field 'valeu' in job 'y' at job.constraints[0] (did you mean 'value'?)")
        let unrelated = #expect(throws: BatchSpecError.self) {
            try BatchJob.decode("name: x\ncommand: true\nreplicas: 3\n", format: .yaml)
        }
        #expect(unrelated?.message.hasPrefix("unknown field 'replicas' in job 'x'; known fields: name, command") == true)
    }

    @Test func syntaxErrorsAreUnreadable() throws {
        let json = #expect(throws: BatchSpecError.self) { try BatchJob.decode("{\"name\": ", format: .json) }
        #expect(json?.code == .unreadable)
        #expect(json?.message.hasPrefix("the job spec is not valid JSON") == true)
        let yaml = #expect(throws: BatchSpecError.self) { try BatchJob.decode("name: [x\n", format: .yaml) }
        #expect(yaml?.code == .unreadable)
    }

    @Test func retryDelayDoublesFromTenSecondsUpToSixMinutes() {
        let job = BatchJob(name: "x", command: .shell("true"))
        let delays = (0...8).map { job.retryDelay(afterFailures: $0) }
        #expect(delays == [0, 10, 20, 40, 80, 160, 320, 360, 360].map { Duration.seconds($0) })
        let quick = BatchJob(name: "y", command: .shell("true"), backoff: .seconds(1), maxBackoff: .seconds(5))
        #expect((1...5).map { quick.retryDelay(afterFailures: $0) } == [1, 2, 4, 5, 5].map { Duration.seconds($0) })
    }

    @Test func failureRulesMatchExitCodes() {
        let isIn = FailureRule(action: .failJob, operator: .in, values: [3, 42])
        #expect(isIn.matches(exitCode: 42))
        #expect(!isIn.matches(exitCode: 1))
        #expect(!isIn.matches(exitCode: nil), "a task killed by a signal has no exit code and matches no rule")
        let notIn = FailureRule(action: .ignore, operator: .notIn, values: [1])
        #expect(notIn.matches(exitCode: 2))
        #expect(!notIn.matches(exitCode: 1))
        #expect(!notIn.matches(exitCode: 0), "exit code 0 is success, never a failure to match")
    }
}
