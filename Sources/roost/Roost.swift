import ArgumentParser
import RoostCore

/// The `roost` command: runs the embedded cluster and inspects Roost's vocabulary.
@main
struct Roost: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "roost",
        abstract: "Roost: write cluster scheduling frameworks in Swift (Mesos-style two-level scheduling).",
        version: RoostVersion.current,
        subcommands: [Demo.self, Local.self, BatchCommand.self, ResourcesCommand.self, TaskStatesCommand.self, CronCommand.self, ServiceCommand.self, SimulateCommand.self, MasterCommand.self, LeaderCommand.self, NewCommand.self]
    )
}
