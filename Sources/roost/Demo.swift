import ArgumentParser
import RoostCore

/// `roost demo`: the first thing a newcomer runs.
struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the embedded cluster demo.",
        discussion: """
            The embedded cluster (master, agents, sample frameworks) is being built; \
            until it lands this shows what the installed vocabulary can already do: \
            an agent's resources, a task carved out of them, and the task state machine.
            """
    )

    func run() async throws {
        let agent: Resources = "cpus:4;mem:8192;disk:20480;ports:[31000-32000]"
        let task: Resources = "cpus:0.5;mem:1536"
        print("Roost \(RoostVersion.current)")
        print("")
        print("An agent offers      \(agent)")
        print("A task needs         \(task)")
        var left = agent
        var launched = 0
        while left.contains(task), launched < 100 {
            left -= task
            launched += 1
        }
        print("Tasks that fit       \(launched) (memory runs out first)")
        print("Left over            \(left)")
        print("")
        let path: [TaskState] = [.staging, .starting, .running, .killing, .killed]
        print("A killed task moves  \(path.map(\.rawValue).joined(separator: " → "))")
        print("TASK_FINISHED → TASK_RUNNING is \(TaskState.finished.canTransition(to: .running) ? "legal" : "rejected") (terminal states are final)")
        print("")
        print("The embedded cluster (master, agents, sample frameworks) arrives with the runtime issue;")
        print("see README.md for what is built so far.")
    }
}

/// `roost resources`: parse and check the Mesos resource text form.
struct ResourcesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resources",
        abstract: "Check resources in Mesos text form and print them canonically.",
        discussion: "Example: roost resources 'cpus:2;mem:1024;ports:[31000-32000];disk(analytics):10'"
    )

    @Argument(help: "Resources, such as 'cpus:2;mem:1024;ports:[31000-32000]'.")
    var text: String

    @Flag(help: "Print the JSON form instead of the text form.")
    var json = false

    func run() throws {
        let resources = try Resources(parsing: text)
        if json {
            print(try JSONText.encode(resources))
        } else {
            print(resources)
        }
    }
}

/// `roost task-states`: the task state machine, as data.
struct TaskStatesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "task-states",
        abstract: "Print the task state machine: each state and where it may go next."
    )

    func run() {
        for state in TaskState.allCases {
            let next = TaskState.legalTransitions[state, default: []].map(\.rawValue).sorted()
            let kind = state.isTerminal ? "terminal" : state == .unknown ? "reply" : "active"
            print("\(state.rawValue.padding(to: 22)) \(kind.padding(to: 9)) → \(next.isEmpty ? "(none)" : next.joined(separator: ", "))")
        }
    }
}

extension String {
    func padding(to width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
