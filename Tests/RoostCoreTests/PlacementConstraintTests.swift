import Foundation
import RoostCore
import Testing

/// Marathon's placement constraints: each operator's verdict and reason, and the spec forms.
@Suite struct PlacementConstraintTests {
    // MARK: Evaluation

    @Test func descriptionIsMarathonsTextForm() {
        #expect(PlacementConstraint(attribute: "hostname", operator: .unique).description == "hostname:UNIQUE")
        #expect(PlacementConstraint(attribute: "rack", operator: .groupBy, value: "3").description == "rack:GROUP_BY:3")
        #expect(PlacementConstraint(attribute: "rack", operator: .like, value: "r[12]").description == "rack:LIKE:r[12]")
        #expect(PlacementConstraint(attribute: "rack", operator: .maxPer, value: "2").description == "rack:MAX_PER:2")
        #expect(PlacementConstraint.Operator.allCases.map(\.marathonName) == ["UNIQUE", "CLUSTER", "GROUP_BY", "LIKE", "UNLIKE", "MAX_PER"])
    }

    @Test func hostnameIsTheOffersHostNameNotAnAttribute() {
        let hostname = PlacementConstraint(attribute: "hostname", operator: .unique)
        let agent = offer("a1", host: "node-1", ["hostname": "other", "rack": "r1"])
        #expect(hostname.attributeValue(in: agent) == "node-1")
        #expect(PlacementConstraint(attribute: "rack", operator: .unique).attributeValue(in: agent) == "r1")
        #expect(PlacementConstraint(attribute: "zone", operator: .unique).attributeValue(in: agent) == nil)
    }

    @Test(arguments: [
        PlacementConstraint(attribute: "zone", operator: .unique),
        PlacementConstraint(attribute: "zone", operator: .cluster, value: "eu-1"),
        PlacementConstraint(attribute: "zone", operator: .cluster),
        PlacementConstraint(attribute: "zone", operator: .groupBy),
        PlacementConstraint(attribute: "zone", operator: .groupBy, value: "2"),
        PlacementConstraint(attribute: "zone", operator: .like, value: "eu-.*"),
        PlacementConstraint(attribute: "zone", operator: .maxPer, value: "5"),
    ])
    func anAgentWithoutTheAttributeFailsEveryOperatorButUnlike(constraint: PlacementConstraint) {
        let rejection = constraint.check(offer("a3", ["rack": "r1"]), placed: [])
        #expect(rejection?.description == "\(constraint): agent a3 has no attribute zone")
        #expect(rejection?.agentID == "a3")
        #expect(rejection?.constraint == constraint)
    }

    @Test func unlikePassesAnAgentWithoutTheAttribute() {
        let unlike = PlacementConstraint(attribute: "zone", operator: .unlike, value: "eu-.*")
        #expect(unlike.check(offer("a3", ["rack": "r1"]), placed: [["zone": "us-1"]]) == nil)
    }

    @Test func uniqueRejectsAValueAnotherInstanceHas() {
        let unique = PlacementConstraint(attribute: "hostname", operator: .unique)
        let placed = [["hostname": "node-1"], ["rack": "r1"]]
        #expect(unique.check(offer("a2", host: "node-2"), placed: placed) == nil)
        #expect(unique.check(offer("a1", host: "node-1"), placed: placed)?.description == "hostname:UNIQUE: hostname node-1 already has an instance")
    }

    @Test func clusterWithAValueRunsOnlyThere() {
        let cluster = PlacementConstraint(attribute: "rack", operator: .cluster, value: "r1")
        #expect(cluster.check(offer("a1", ["rack": "r1"]), placed: []) == nil)
        #expect(cluster.check(offer("a1", ["rack": "r1"]), placed: [["rack": "r1"], ["rack": "r1"]]) == nil)
        #expect(cluster.check(offer("a2", ["rack": "r2"]), placed: [])?.description == "rack:CLUSTER:r1: agent a2 has rack r2")
    }

    @Test func clusterWithoutAValueFollowsTheFirstPlacedInstance() {
        let cluster = PlacementConstraint(attribute: "rack", operator: .cluster)
        #expect(cluster.check(offer("a2", ["rack": "r2"]), placed: []) == nil, "the first instance may go anywhere")
        #expect(cluster.check(offer("a2", ["rack": "r2"]), placed: [["other": "x"]]) == nil, "instances without the attribute pin nothing")
        let placed = [["rack": "r1"]]
        #expect(cluster.check(offer("a1", ["rack": "r1"]), placed: placed) == nil)
        #expect(cluster.check(offer("a2", ["rack": "r2"]), placed: placed)?.description
            == "rack:CLUSTER: the instances run on rack r1; agent a2 has rack r2")
    }

    @Test func groupByWithoutACountKeepsEveryKnownValueWithinOneOfTheLeastUsed() {
        let groupBy = PlacementConstraint(attribute: "rack", operator: .groupBy)
        let placed = [["rack": "r1"], ["rack": "r2"], ["rack": "r1"]]
        #expect(groupBy.check(offer("a2", ["rack": "r2"]), placed: placed) == nil, "r2 is the least used")
        #expect(groupBy.check(offer("a3", ["rack": "r3"]), placed: placed) == nil, "a new value is always accepted")
        #expect(groupBy.check(offer("a1", ["rack": "r1"]), placed: placed)?.description
            == "rack:GROUP_BY: rack r1 already has 2 instances, rack r2 only 1")
        #expect(groupBy.check(offer("a1", ["rack": "r1"]), placed: [["rack": "r1"], ["rack": "r2"]]) == nil, "tied values are all least used")
        #expect(groupBy.check(offer("a1", ["rack": "r1"]), placed: [["rack": "r1"]]) == nil, "the only known value is the least used")
    }

    @Test func groupByWithACountWaitsForThatManyValuesBeforeReusingOne() {
        let groupBy = PlacementConstraint(attribute: "rack", operator: .groupBy, value: "3")
        let twoRacks = [["rack": "r1"], ["rack": "r2"]]
        #expect(groupBy.check(offer("a1", ["rack": "r1"]), placed: twoRacks)?.description
            == "rack:GROUP_BY:3: rack r1 already has 1 instance, and only 2 of the 3 expected values of rack have any: a new value comes first")
        #expect(groupBy.check(offer("a3", ["rack": "r3"]), placed: twoRacks) == nil)
        let threeRacks = twoRacks + [["rack": "r3"]]
        #expect(groupBy.check(offer("a1", ["rack": "r1"]), placed: threeRacks) == nil, "with 3 values known, it spreads as without a count")
        #expect(groupBy.check(offer("a1", ["rack": "r1"]), placed: threeRacks + [["rack": "r1"]]) != nil)
    }

    @Test func groupBySpreadsAGroupPackedOneOfferCycleAtATime() throws {
        // Offers arrive r1, r1, r2, r1, r3, …; each cycle places on the first agent that accepts.
        let groupBy = PlacementConstraint(attribute: "rack", operator: .groupBy, value: "3")
        let agents = [offer("a1", ["rack": "r1"]), offer("a2", ["rack": "r1"]), offer("a3", ["rack": "r2"]), offer("a4", ["rack": "r3"])]
        var placed: [[String: String]] = []
        for _ in 0..<9 {
            let chosen = try #require(agents.first { groupBy.check($0, placed: placed) == nil })
            placed.append([groupBy].placementValues(in: chosen))
        }
        let perRack = Dictionary(grouping: placed.compactMap { $0["rack"] }, by: { $0 }).mapValues(\.count)
        #expect(perRack == ["r1": 3, "r2": 3, "r3": 3])
    }

    @Test func likeAndUnlikeMatchTheWholeValue() {
        let like = PlacementConstraint(attribute: "rack", operator: .like, value: "r[12]")
        let unlike = PlacementConstraint(attribute: "rack", operator: .unlike, value: "r[12]")
        #expect(like.check(offer("a1", ["rack": "r1"]), placed: []) == nil)
        #expect(like.check(offer("a1", ["rack": "r10"]), placed: [])?.description == "rack:LIKE:r[12]: agent a1 has rack r10, which does not match r[12]")
        #expect(unlike.check(offer("a1", ["rack": "r10"]), placed: []) == nil)
        #expect(unlike.check(offer("a2", ["rack": "r2"]), placed: [])?.description == "rack:UNLIKE:r[12]: agent a2 has rack r2, which matches r[12]")
    }

    @Test func maxPerAllowsUpToTheLimitPerValue() {
        let maxPer = PlacementConstraint(attribute: "rack", operator: .maxPer, value: "2")
        #expect(maxPer.check(offer("a1", ["rack": "r1"]), placed: [["rack": "r1"], ["rack": "r2"]]) == nil)
        let full = [["rack": "r1"], ["rack": "r2"], ["rack": "r1"]]
        #expect(maxPer.check(offer("a1", ["rack": "r1"]), placed: full)?.description == "rack:MAX_PER:2: rack r1 already has 2 instances")
        #expect(maxPer.check(offer("a2", ["rack": "r2"]), placed: full) == nil)
        let one = PlacementConstraint(attribute: "rack", operator: .maxPer, value: "1")
        #expect(one.check(offer("a2", ["rack": "r2"]), placed: full)?.reason == "rack r2 already has 1 instance")
    }

    @Test func aValueTheOperatorCannotUseRejectsEveryOfferSayingWhy() {
        let agent = offer("a1", ["rack": "r1"])
        #expect(PlacementConstraint(attribute: "rack", operator: .maxPer, value: "x").check(agent, placed: [])?.reason == "'x' is not a whole number ≥ 1")
        #expect(PlacementConstraint(attribute: "rack", operator: .maxPer).check(agent, placed: [])?.reason == "the value must be a whole number ≥ 1, and there is none")
        #expect(PlacementConstraint(attribute: "rack", operator: .groupBy, value: "0").check(agent, placed: [])?.reason == "'0' is not a whole number ≥ 1")
        #expect(PlacementConstraint(attribute: "rack", operator: .like, value: "(r1").check(agent, placed: [])?.reason == "'(r1' is not a regular expression")
        #expect(PlacementConstraint(attribute: "rack", operator: .unlike, value: "(r1").check(agent, placed: [])?.reason == "'(r1' is not a regular expression")
    }

    @Test func aGroupsConstraintsAreCheckedInOrderAndItsValuesRecorded() {
        let constraints = [
            PlacementConstraint(attribute: "rack", operator: .like, value: "r[12]"),
            PlacementConstraint(attribute: "hostname", operator: .unique),
            PlacementConstraint(attribute: "rack", operator: .maxPer, value: "1"),
            PlacementConstraint(attribute: "zone", operator: .unlike, value: "x"),
        ]
        let node1 = offer("a1", host: "node-1", ["rack": "r1"])
        #expect(constraints.placementValues(in: node1) == ["rack": "r1", "hostname": "node-1"], "zone is absent, so not recorded")
        #expect(constraints.firstRejection(offer: node1, placed: []) == nil)
        let placed = [constraints.placementValues(in: node1)]
        #expect(constraints.firstRejection(offer: node1, placed: placed)?.constraint == constraints[1], "unique comes before maxPer")
        #expect(constraints.firstRejection(offer: offer("a2", host: "node-2", ["rack": "r1"]), placed: placed)?.constraint == constraints[2])
        #expect(constraints.firstRejection(offer: offer("a3", host: "node-3", ["rack": "r3"]), placed: placed)?.constraint == constraints[0])
        #expect(constraints.firstRejection(offer: offer("a4", host: "node-4", ["rack": "r2"]), placed: placed) == nil)
    }

    // MARK: Spec forms

    @Test func theObjectFormTakesLenientOperatorNamesAndNumericValues() throws {
        let spec = try decodeSpec(#"""
            {"constraints": [
              {"attribute": "rack", "operator": "GROUP_BY", "value": 3},
              {"attribute": "rack", "operator": "max-per", "value": "2"},
              {"attribute": "hostname", "operator": "Unique"},
              {"attribute": "zone", "operator": "like", "value": "eu-.*"},
              {"attribute": "zone", "operator": "cluster", "value": null},
              {"attribute": "rack", "operator": "equals", "value": "r1"}
            ]}
            """#)
        #expect(spec == [
            PlacementConstraint(attribute: "rack", operator: .groupBy, value: "3"),
            PlacementConstraint(attribute: "rack", operator: .maxPer, value: "2"),
            PlacementConstraint(attribute: "hostname", operator: .unique),
            PlacementConstraint(attribute: "zone", operator: .like, value: "eu-.*"),
            PlacementConstraint(attribute: "zone", operator: .cluster),
            PlacementConstraint(attribute: "rack", operator: .cluster, value: "r1"),
        ])
    }

    @Test func marathonsArrayAndTextFormsAreAccepted() throws {
        let spec = try decodeSpec(#"""
            {"constraints": [["hostname", "UNIQUE"], ["rack", "MAX_PER", "2"], ["rack", "GROUP_BY", 3], "zone:LIKE:eu-.*:x", "rack:CLUSTER"]}
            """#)
        #expect(spec == [
            PlacementConstraint(attribute: "hostname", operator: .unique),
            PlacementConstraint(attribute: "rack", operator: .maxPer, value: "2"),
            PlacementConstraint(attribute: "rack", operator: .groupBy, value: "3"),
            PlacementConstraint(attribute: "zone", operator: .like, value: "eu-.*:x"),
            PlacementConstraint(attribute: "rack", operator: .cluster),
        ])
    }

    @Test(arguments: [
        (#"[{"attribute": "rack", "operator": "near", "value": "r1"}]"#, "spec.constraints[0].operator: 'near' is not one of unique, cluster, groupBy, like, unlike, maxPer"),
        (#"[["rack", "NEAR"]]"#, "spec.constraints[0][1]: 'NEAR' is not one of"),
        (#"["rack:NEAR:r1"]"#, "spec.constraints[0]: 'NEAR' is not one of"),
        (#"[["rack", "MAX_PER", "2", "3"]]"#, "spec.constraints[0]: expected [attribute, OPERATOR] or [attribute, OPERATOR, value]"),
        (#"[["rack"]]"#, "spec.constraints[0]: expected [attribute, OPERATOR] or [attribute, OPERATOR, value]"),
        (#"["hostname"]"#, "spec.constraints[0]: expected [attribute, OPERATOR] or [attribute, OPERATOR, value]"),
        (#"[["rack", "MAX_PER", true]]"#, "spec.constraints[0][2]: expected a string"),
        (#"[{"hostname": "x"}, 7]"#, "unknown field 'hostname' in spec 'test' at spec.constraints[0]"),
        (#"[{"attribute": "rack", "operator": "unique"}, 7]"#, "spec.constraints[1]: expected {attribute: rack, operator: maxPer, value: 2}"),
        (#"[{"attribute": "rack", "operator": "maxPer", "value": [2]}]"#, "spec.constraints[0].value: expected a string or a whole number"),
        (#"[{"attribute": "rack", "operator": "maxPer", "value": 1.5}]"#, "spec.constraints[0].value: expected a string or a whole number"),
        (#"[{"operator": "unique"}]"#, "spec.constraints[0].attribute: required; for example attribute: rack"),
        (#"{"attribute": "rack"}"#, "spec.constraints: expected a list of constraints"),
    ])
    func unreadableConstraintsAreNamed(constraints: String, expected: String) {
        let error = #expect(throws: InputError.self) { try decodeSpec(#"{"constraints": \#(constraints)}"#) }
        #expect(error?.description.hasPrefix(expected) == true, "\(error?.description ?? "no error") should start with \(expected)")
    }

    @Test(arguments: [
        (#"{"attribute": "", "operator": "unique"}"#, "spec.constraints[0].attribute: must name an agent attribute"),
        (#"{"attribute": "host", "operator": "unique", "value": "x"}"#, "spec.constraints[0].value: operator 'unique' takes no value, got 'x'"),
        (#"{"attribute": "rack", "operator": "maxPer", "value": "x"}"#, "spec.constraints[0].value: operator 'maxPer' needs a whole number ≥ 1, got 'x'"),
        (#"{"attribute": "rack", "operator": "maxPer", "value": 0}"#, "spec.constraints[0].value: operator 'maxPer' needs a whole number ≥ 1, got '0'"),
        (#"{"attribute": "rack", "operator": "maxPer"}"#, "spec.constraints[0].value: operator 'maxPer' needs a whole number ≥ 1, such as 2"),
        (#"{"attribute": "rack", "operator": "groupBy", "value": "-1"}"#, "spec.constraints[0].value: operator 'groupBy' takes a whole number ≥ 1"),
        (#"{"attribute": "rack", "operator": "like"}"#, "spec.constraints[0].value: operator 'like' needs a regular expression"),
        (#"{"attribute": "rack", "operator": "unlike", "value": "(r1"}"#, "spec.constraints[0].value: '(r1' is not a regular expression"),
        (#"{"attribute": "rack", "operator": "cluster", "value": ""}"#, "spec.constraints[0].value: operator 'cluster' needs the value to run on"),
    ])
    func badValuesAreRejectedNamingTheField(constraint: String, expected: String) {
        let error = #expect(throws: InputError.self) { try decodeSpec(#"{"constraints": [\#(constraint)]}"#) }
        #expect(error?.description.hasPrefix(expected) == true, "\(error?.description ?? "no error") should start with \(expected)")
    }

    @Test func encodingWritesTheObjectFormAndRoundTrips() throws {
        let constraints = [
            PlacementConstraint(attribute: "hostname", operator: .unique),
            PlacementConstraint(attribute: "rack", operator: .cluster, value: "r1"),
            PlacementConstraint(attribute: "rack", operator: .cluster),
            PlacementConstraint(attribute: "rack", operator: .groupBy, value: "3"),
            PlacementConstraint(attribute: "rack", operator: .like, value: "r[12]"),
            PlacementConstraint(attribute: "rack", operator: .unlike, value: "r3"),
            PlacementConstraint(attribute: "rack", operator: .maxPer, value: "2"),
        ]
        #expect(try JSON.string(constraints[3]) == #"{"attribute":"rack","operator":"groupBy","value":"3"}"#)
        #expect(try JSON.roundTrip(constraints) == constraints)
        #expect(try decodeSpec(String(decoding: try JSON.data(Wrapper(constraints: constraints)), as: UTF8.self)) == constraints)
    }

    @Test func plainDecodingValidatesAndNamesTheCodingPath() throws {
        let wrapped = try JSON.decode(Wrapper.self, from: #"{"constraints": [["hostname", "UNIQUE"], {"attribute": "rack", "operator": "EQUALS", "value": "r1"}]}"#)
        #expect(wrapped.constraints == [
            PlacementConstraint(attribute: "hostname", operator: .unique),
            PlacementConstraint(attribute: "rack", operator: .cluster, value: "r1"),
        ])
        let bad = #expect(throws: InputError.self) {
            try JSON.decode(Wrapper.self, from: #"{"constraints": [["hostname", "UNIQUE"], ["rack", "MAX_PER", "x"]]}"#)
        }
        #expect(bad?.field == "constraints[1].value")
        #expect(bad?.message == "operator 'maxPer' needs a whole number ≥ 1, got 'x'")
        let unknown = #expect(throws: InputError.self) {
            try JSON.decode(PlacementConstraint.self, from: #"{"attribute": "rack", "operator": "unique", "valeu": "b"}"#)
        }
        #expect(unknown?.description == "unknown field 'valeu' in a placement constraint (did you mean 'value'?)")
    }

    // MARK: Helpers

    private func offer(_ agent: String, host: String = "localhost", _ attributes: [String: String] = [:]) -> Offer {
        Offer(id: OfferID("offer-\(agent)"), frameworkID: FrameworkID("f"), agentID: AgentID(agent), hostname: host,
              resources: "cpus:1;mem:128", attributes: attributes)
    }

    /// Decodes `{"constraints": …}` as a framework does: through a ``SpecReader``, then validated.
    private func decodeSpec(_ json: String) throws -> [PlacementConstraint] {
        try JSON.decode(Spec.self, from: json).constraints
    }
}

/// A framework's spec with a constraint list, its errors ``InputError``s.
private struct Spec: Decodable {
    var constraints: [PlacementConstraint]

    init(from decoder: any Decoder) throws {
        let reader = try SpecReader<InputError>(decoder, path: "spec", subject: "spec 'test'")
        try reader.rejectUnknownKeys(["constraints"])
        constraints = try PlacementConstraint.readList("constraints", in: reader) ?? []
        for (index, constraint) in constraints.enumerated() {
            try constraint.validate(field: "spec.constraints[\(index)]", as: InputError.self)
        }
    }
}

/// Plain `Codable` use of constraints.
private struct Wrapper: Codable {
    var constraints: [PlacementConstraint]
}
