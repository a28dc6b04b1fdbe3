import RoostCore
import Testing

struct TaskStateTests {
    static let terminal: Set<TaskState> = [.finished, .failed, .killed, .error, .lost, .dropped, .gone, .goneByOperator]
    static let outcomes: Set<TaskState> = [.finished, .failed, .killed, .lost, .unreachable, .gone, .goneByOperator]

    /// The full legal table, written out independently of the implementation.
    static let expected: [TaskState: Set<TaskState>] = [
        .staging: outcomes.union([.staging, .starting, .running, .killing, .error, .dropped]),
        .starting: outcomes.union([.starting, .running, .killing]),
        .running: outcomes.union([.running, .killing]),
        .killing: outcomes.union([.killing]),
        .unreachable: outcomes.union([.starting, .running, .killing]),
    ]

    @Test func terminalStatesAreExactlyMesosTerminalStates() {
        for state in TaskState.allCases {
            #expect(state.isTerminal == Self.terminal.contains(state), "\(state)")
        }
        #expect(!TaskState.unreachable.isTerminal, "unreachable tasks may come back")
        #expect(!TaskState.unknown.holdsResources)
        #expect(TaskState.running.holdsResources)
    }

    @Test(arguments: TaskState.allCases)
    func everyTransitionFrom(_ from: TaskState) {
        let legal = Self.expected[from] ?? []
        for to in TaskState.allCases {
            #expect(from.canTransition(to: to) == legal.contains(to), "\(from) → \(to)")
        }
    }

    @Test func terminalStatesAndUnknownHaveNoWayOut() {
        for state in Self.terminal.union([.unknown]) {
            #expect(TaskState.allCases.allSatisfy { !state.canTransition(to: $0) }, "\(state)")
        }
    }

    @Test func nothingReturnsToStagingOrEntersUnknown() {
        for from in TaskState.allCases where from != .staging {
            #expect(!from.canTransition(to: .staging), "\(from) → staging")
        }
        for from in TaskState.allCases {
            #expect(!from.canTransition(to: .unknown), "\(from) → unknown")
        }
    }

    @Test func errorAndDroppedOnlyBeforeLaunch() {
        for from in TaskState.allCases where from != .staging {
            #expect(!from.canTransition(to: .error), "\(from) → error")
            #expect(!from.canTransition(to: .dropped), "\(from) → dropped")
        }
    }

    @Test func jsonUsesMesosNames() throws {
        #expect(try JSON.roundTrip(TaskState.goneByOperator) == .goneByOperator)
        #expect(try JSON.string(TaskState.running) == "\"TASK_RUNNING\"")
        #expect(throws: DecodingError.self) { try JSON.decode(TaskState.self, from: "\"TASK_SLEEPING\"") }
    }
}

struct IdentifierTests {
    @Test func distinctTypesWithTheSameText() {
        let task: TaskID = "a"
        let agent: AgentID = "a"
        #expect(task.value == agent.value)
        // Different types: this line would not compile as `task == agent`.
        #expect(String(describing: type(of: task)) != String(describing: type(of: agent)))
    }

    @Test func validationNamesTheKindAndTheProblem() throws {
        #expect(throws: InputError(field: "TaskID", "must not be empty")) { try TaskID.validated("") }
        let slash = #expect(throws: InputError.self) { try AgentID.validated("a/b") }
        #expect(slash?.description.contains("AgentID: 'a/b' contains '/'") == true)
        let space = #expect(throws: InputError.self) { try FrameworkID.validated("a b") }
        #expect(space?.field == "FrameworkID")
        #expect(throws: InputError.self) { try OfferID.validated("..") }
        #expect(throws: InputError.self) { try ExecutorID.validated(String(repeating: "x", count: 256)) }
        #expect(try TaskID.validated("web-1.v2_x") == "web-1.v2_x")
    }

    @Test func encodeAsBareStringsAndValidateOnDecode() throws {
        #expect(try JSON.string(TaskID("t-1")) == "\"t-1\"")
        #expect(try JSON.roundTrip(MasterID("m1")) == "m1")
        let error = #expect(throws: DecodingError.self) { try JSON.decode(TaskID.self, from: "\"bad/id\"") }
        #expect(String(describing: error).contains("contains '/'"))
    }

    @Test func rolesFollowMesosRules() throws {
        #expect(Role.any.isDefault)
        let hierarchical = "eng/backend"
        #expect(try Role(hierarchical).name == "eng/backend")
        for bad in ["", ".", "..", "-x", "a b", "a//b", "a/./b", "a*"] {
            #expect(throws: InputError.self, "\(bad)") { try Role(bad) }
        }
        #expect(try JSON.roundTrip(Role("web")) == "web")
        #expect(throws: DecodingError.self) { try JSON.decode(Role.self, from: "\"a b\"") }
    }
}
