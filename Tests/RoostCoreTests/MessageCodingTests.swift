import Foundation
import RoostCore
import Testing

/// Sample values with every field set, shared by the round-trip tests.
enum Samples {
    static let uuid = UUID(uuidString: "6F9619FF-8B86-D011-B42D-00CF4FC964FF")!
    static let time = Timestamp(secondsSinceEpoch: 1_795_689_600.25)
    static let master = MasterInfo(id: "m-1", hostname: "master.local", port: 5050, version: "0.1.0")
    static let agent = AgentInfo(id: "a-1", hostname: "node1", port: 5051, resources: "cpus:8;mem:16384;ports:[31000-32000]", attributes: ["rack": "r1"])
    static let framework = FrameworkInfo(
        id: "f-1", name: "batch", user: "nobody", roles: ["*", "analytics"], priority: 3,
        failoverTimeout: .seconds(604_800), principal: "ops", checkpoint: true,
        capabilities: [.partitionAware, .multiRole], hostname: "sched.local", labels: ["team": "data"])
    static let task = TaskInfo(
        id: "t-1", name: "nightly", agentID: "a-1", resources: "cpus:0.5;mem:256",
        command: .argv(["/bin/echo", "hi"]), environment: ["MODE": "fast"], workingDirectory: "work",
        labels: ["k": "v"], healthCheck: HealthCheck(.http(port: 8080, path: "/health"), interval: .milliseconds(1500)),
        killGracePeriod: .seconds(7))
    static let executorTask = TaskInfo(
        id: "t-2", resources: "cpus:1", executor: ExecutorInfo(id: "e-1", name: "sim", resources: "mem:32"),
        healthCheck: HealthCheck(.command(.shell("test -f ready"))),
        readinessCheck: ReadinessCheck(.tcp(port: 8080), delay: .seconds(2), interval: .milliseconds(500), timeout: .seconds(3)))
    static let status = TaskStatus(
        taskID: "t-1", state: .failed, reason: .commandExecutorFailed, message: "exited with code 3",
        source: .executor, agentID: "a-1", executorID: "e-1", uuid: uuid, timestamp: time, healthy: false, ready: true, exitCode: 3)
    static let offer = Offer(id: "o-1", frameworkID: "f-1", agentID: "a-1", hostname: "node1", resources: "cpus:2;mem:512", attributes: ["rack": "r1"])

    static let schedulerCalls: [SchedulerCall] = [
        SchedulerCall(frameworkID: nil, .subscribe(framework: framework)),
        SchedulerCall(frameworkID: "f-1", .teardown),
        SchedulerCall(frameworkID: "f-1", .accept(offerIDs: ["o-1", "o-2"], operations: [
            .launch(tasks: [task, executorTask]), .reserve(resources: "cpus(analytics):1"), .unreserve(resources: "mem(analytics):64"),
        ], filters: Filters(refuse: .seconds(30)))),
        SchedulerCall(frameworkID: "f-1", .decline(offerIDs: ["o-3"], filters: .default)),
        SchedulerCall(frameworkID: "f-1", .revive(roles: ["analytics"])),
        SchedulerCall(frameworkID: "f-1", .suppress(roles: [])),
        SchedulerCall(frameworkID: "f-1", .kill(taskID: "t-1", agentID: "a-1", gracePeriodSeconds: 2.5)),
        SchedulerCall(frameworkID: "f-1", .kill(taskID: "t-1", agentID: nil, gracePeriodSeconds: nil)),
        SchedulerCall(frameworkID: "f-1", .shutdown(executorID: "e-1", agentID: "a-1")),
        SchedulerCall(frameworkID: "f-1", .acknowledge(agentID: "a-1", taskID: "t-1", uuid: uuid)),
        SchedulerCall(frameworkID: "f-1", .reconcile(tasks: [ReconcileTask(taskID: "t-1", agentID: "a-1"), ReconcileTask(taskID: "t-9")])),
        SchedulerCall(frameworkID: "f-1", .message(agentID: "a-1", executorID: "e-1", data: Data([0, 1, 2, 255]))),
        SchedulerCall(frameworkID: "f-1", .request(requests: [ResourceRequest(agentID: "a-1", resources: "cpus:4"), ResourceRequest(resources: "mem:1024")])),
    ]

    static let schedulerEvents: [SchedulerEvent] = [
        SchedulerEvent(epoch: LeaderEpoch(7), .subscribed(frameworkID: "f-1", master: master, heartbeatIntervalSeconds: 15)),
        SchedulerEvent(epoch: LeaderEpoch(7), .offers(offers: [offer])),
        SchedulerEvent(epoch: LeaderEpoch(7), .rescind(offerID: "o-1")),
        SchedulerEvent(epoch: LeaderEpoch(7), .update(status: status)),
        SchedulerEvent(epoch: LeaderEpoch(7), .message(agentID: "a-1", executorID: "e-1", data: Data("hello".utf8))),
        SchedulerEvent(epoch: LeaderEpoch(7), .failure(agentID: "a-1", executorID: nil, status: nil)),
        SchedulerEvent(epoch: LeaderEpoch(7), .failure(agentID: "a-1", executorID: "e-1", status: 137)),
        SchedulerEvent(epoch: LeaderEpoch(7), .error(message: "framework failed over")),
        SchedulerEvent(epoch: LeaderEpoch(7), .callRejected(call: "accept", message: "offer o-9 is unknown")),
        SchedulerEvent(epoch: LeaderEpoch(7), .heartbeat),
    ]

    static let agentCalls: [AgentCall] = [
        AgentCall(agentID: nil, .register(agent: agent)),
        AgentCall(agentID: "a-1", .reregister(agent: agent, tasks: [AgentTaskReport(frameworkID: "f-1", task: task, state: .running, latestStatus: status)], frameworks: [framework])),
        AgentCall(agentID: "a-1", .update(frameworkID: "f-1", status: status)),
        AgentCall(agentID: "a-1", .message(frameworkID: "f-1", executorID: "e-1", data: Data([9]))),
        AgentCall(agentID: "a-1", .executorExited(frameworkID: "f-1", executorID: "e-1", status: 0)),
        AgentCall(agentID: "a-1", .pong),
        AgentCall(agentID: "a-1", .unregister),
    ]

    static let agentEvents: [AgentEvent] = [
        AgentEvent(epoch: LeaderEpoch(3), .registered(agentID: "a-1", master: master, pingIntervalSeconds: 15)),
        AgentEvent(epoch: LeaderEpoch(3), .reregistered(agentID: "a-1", master: master, pingIntervalSeconds: 15)),
        AgentEvent(epoch: LeaderEpoch(3), .runTask(framework: framework, task: task)),
        AgentEvent(epoch: LeaderEpoch(3), .killTask(frameworkID: "f-1", taskID: "t-1", gracePeriodSeconds: 3)),
        AgentEvent(epoch: LeaderEpoch(3), .acknowledge(frameworkID: "f-1", taskID: "t-1", uuid: uuid)),
        AgentEvent(epoch: LeaderEpoch(3), .message(frameworkID: "f-1", executorID: "e-1", data: Data())),
        AgentEvent(epoch: LeaderEpoch(3), .shutdownFramework(frameworkID: "f-1")),
        AgentEvent(epoch: LeaderEpoch(3), .shutdownExecutor(frameworkID: "f-1", executorID: "e-1")),
        AgentEvent(epoch: LeaderEpoch(3), .ping),
    ]
}

struct MessageCodingTests {
    @Test(arguments: Samples.schedulerCalls)
    func schedulerCallRoundTrips(_ call: SchedulerCall) throws {
        #expect(try JSON.roundTrip(call) == call)
    }

    @Test(arguments: Samples.schedulerEvents)
    func schedulerEventRoundTrips(_ event: SchedulerEvent) throws {
        #expect(try JSON.roundTrip(event) == event)
    }

    @Test(arguments: Samples.agentCalls)
    func agentCallRoundTrips(_ call: AgentCall) throws {
        #expect(try JSON.roundTrip(call) == call)
    }

    @Test(arguments: Samples.agentEvents)
    func agentEventRoundTrips(_ event: AgentEvent) throws {
        #expect(try JSON.roundTrip(event) == event)
    }

    @Test func everyCaseHasASample() {
        // A new message kind must get a sample above; these counts fail when one is added without it.
        let callKinds = Set(Samples.schedulerCalls.map { caseName($0.kind) })
        let eventKinds = Set(Samples.schedulerEvents.map { caseName($0.kind) })
        let agentCallKinds = Set(Samples.agentCalls.map { caseName($0.kind) })
        let agentEventKinds = Set(Samples.agentEvents.map { caseName($0.kind) })
        #expect(callKinds.count == 12)
        #expect(eventKinds.count == 9)
        #expect(agentCallKinds.count == 7)
        #expect(agentEventKinds.count == 9)
    }

    @Test func valuesRoundTrip() throws {
        #expect(try JSON.roundTrip(Samples.framework) == Samples.framework)
        #expect(try JSON.roundTrip(Samples.task) == Samples.task)
        #expect(try JSON.roundTrip(Samples.executorTask) == Samples.executorTask)
        #expect(try JSON.roundTrip(Samples.status) == Samples.status)
        #expect(try JSON.roundTrip(Samples.agent) == Samples.agent)
        #expect(try JSON.roundTrip(Samples.offer) == Samples.offer)
        #expect(try JSON.roundTrip(Samples.master) == Samples.master)
        for event in [LeadershipEvent.elected(epoch: LeaderEpoch(4)), .lost, .leaderChanged(Samples.master), .leaderChanged(nil)] {
            #expect(try JSON.roundTrip(event) == event)
        }
        let running = RunningTask(taskID: "t", framework: "f", candidate: CandidateID(4), agentID: "a", resources: "cpus:1", launchOrder: 9, killGracePeriod: .milliseconds(2500))
        #expect(try JSON.roundTrip(Preemption(task: running, beneficiary: "g")) == Preemption(task: running, beneficiary: "g"))
        let candidate = AllocationCandidate(id: CandidateID(2), framework: "f", role: "r", priority: 5, registrationOrder: 11)
        #expect(try JSON.roundTrip(candidate) == candidate)
        for explanation in [AllocationExplanation.suppressed, .filtered(agents: 3), .outranked(by: "g", share: 0.5, theirShare: 0.25), .insufficient(resource: "mem"), .preempted(by: "g"), .noDemand, .queuedBehind("h"), .lowerPriority(than: "h", priority: 1, theirPriority: 5)] {
            #expect(try JSON.roundTrip(explanation) == explanation)
        }
    }

    @Test func stableFieldNames() throws {
        let declined = try JSON.string(SchedulerCall(frameworkID: "f-1", .decline(offerIDs: ["o-1"], filters: .default)))
        #expect(declined == #"{"frameworkID":"f-1","kind":{"decline":{"filters":{"refuseSeconds":5},"offerIDs":["o-1"]}}}"#)
        let status = try JSON.string(Samples.status)
        for field in [#""taskID":"t-1""#, #""state":"TASK_FAILED""#, #""reason":"REASON_COMMAND_EXECUTOR_FAILED""#, #""source":"SOURCE_EXECUTOR""#, #""exitCode":3"#, #""timestamp":1795689600.25"#] {
            #expect(status.contains(field), "\(field) in \(status)")
        }
        let framework = try JSON.string(Samples.framework)
        #expect(framework.contains(#""failoverTimeoutSeconds":604800"#))
        #expect(framework.contains(#""capabilities":["MULTI_ROLE","PARTITION_AWARE"]"#))
        let task = try JSON.string(Samples.task)
        #expect(task.contains(#""command":{"argv":["\/bin\/echo","hi"]}"#) || task.contains(#""command":{"argv":["/bin/echo","hi"]}"#))
        #expect(task.contains(#""killGracePeriodSeconds":7"#))
        #expect(task.contains(#""healthCheck":{"consecutiveFailures":3,"delaySeconds":15,"gracePeriodSeconds":10,"intervalSeconds":1.5,"kind":{"http":{"path":"\/health","port":8080}},"timeoutSeconds":20}"#))
    }

    @Test func decodingFillsMesosDefaults() throws {
        let framework = try JSON.decode(FrameworkInfo.self, from: #"{"name":"echo"}"#)
        #expect(framework == FrameworkInfo(name: "echo"))
        #expect(framework.roles == [.any])
        #expect(framework.failoverTimeout == .zero)
        let task = try JSON.decode(TaskInfo.self, from: #"{"id":"t","resources":[],"command":{"shell":"true"}}"#)
        #expect(task.name == "t")
        #expect(task.killGracePeriod == nil)
        #expect(try JSON.decode(Filters.self, from: "{}").refuse == .seconds(5))
        let check = try JSON.decode(HealthCheck.self, from: #"{"kind":{"tcp":{"port":80}}}"#)
        #expect(check == HealthCheck(.tcp(port: 80)))
        #expect(check.interval == .seconds(10) && check.timeout == .seconds(20) && check.consecutiveFailures == 3)
    }

    @Test func decodingRejectsBadValues() {
        #expect(throws: DecodingError.self) { try JSON.decode(Filters.self, from: #"{"refuseSeconds":-1}"#) }
        #expect(throws: DecodingError.self) { try JSON.decode(FrameworkInfo.self, from: #"{"name":"x","roles":["a b"]}"#) }
        #expect(throws: DecodingError.self) { try JSON.decode(Command.self, from: #"{"shell":"a","argv":["b"]}"#) }
        #expect(throws: DecodingError.self) { try JSON.decode(Command.self, from: "{}") }
        #expect(throws: DecodingError.self) { try JSON.decode(Timestamp.self, from: "\"soon\"") }
    }

    @Test func unknownReasonsSurvive() throws {
        let reason = try JSON.decode(TaskStatus.Reason.self, from: "\"REASON_FROM_THE_FUTURE\"")
        #expect(reason.rawValue == "REASON_FROM_THE_FUTURE")
        #expect(try JSON.roundTrip(reason) == reason)
    }
}

struct ValidationTests {
    @Test func taskValidationNamesTheField() {
        var task = Samples.task
        task.command = nil
        #expect(throws: InputError(field: "task[t-1].command", "a task needs a command or an executor")) { try task.validate() }
        task.command = .shell("  ")
        #expect(throws: InputError(field: "task[t-1].command.shell", "must not be empty")) { try task.validate() }
        task.command = .shell("true")
        task.executor = ExecutorInfo(id: "e", name: "x")
        #expect(throws: InputError.self) { try task.validate() }
        task.executor = nil
        task.workingDirectory = "../escape"
        let escape = #expect(throws: InputError.self) { try task.validate() }
        #expect(escape?.field == "task[t-1].workingDirectory")
        task.workingDirectory = nil
        task.resources = Resources()
        #expect(throws: InputError.self) { try task.validate() }
        task.resources = "cpus:1"
        task.healthCheck = HealthCheck(.tcp(port: 70000))
        let port = #expect(throws: InputError.self) { try task.validate() }
        #expect(port?.field == "task[t-1].healthCheck.kind.port")
        task.healthCheck = nil
        #expect(throws: Never.self) { try task.validate() }
    }

    @Test func frameworkValidation() {
        #expect(throws: InputError(field: "framework.name", "must not be empty")) { try FrameworkInfo(name: " ").validate() }
        #expect(throws: InputError.self) { try FrameworkInfo(name: "x", roles: []).validate() }
        #expect(throws: InputError.self) { try FrameworkInfo(name: "x", roles: ["a", "a"]).validate() }
        #expect(throws: Never.self) { try Samples.framework.validate() }
    }

    @Test func attributesParse() throws {
        #expect(try AgentInfo.parseAttributes("rack:r1; zone:eu-1;") == ["rack": "r1", "zone": "eu-1"])
        #expect(throws: InputError(field: "attributes", "'rack' is not of the form name:value")) { try AgentInfo.parseAttributes("rack") }
        #expect(throws: InputError(field: "attributes", "'rack' is given twice")) { try AgentInfo.parseAttributes("rack:a;rack:b") }
    }

    @Test func durationsFromSeconds() throws {
        #expect(try Duration.validatedSeconds(1.5, field: "x") == .milliseconds(1500))
        #expect(throws: InputError.self) { try Duration.validatedSeconds(.nan, field: "x") }
        #expect(throws: InputError.self) { try Duration.validatedSeconds(-2, field: "x") }
        #expect(Duration.milliseconds(2500).seconds == 2.5)
    }
}

/// The name of an enum case, for counting which cases have samples.
func caseName(_ value: some Any) -> String {
    let text = String(describing: value)
    return String(text.prefix { $0 != "(" })
}
