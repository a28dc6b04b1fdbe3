import ArgumentParser
import RoostCore

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
