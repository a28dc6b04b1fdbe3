import ArgumentParser
import RoostAgent
import RoostCluster
import RoostCore
import RoostMaster
import UnixSignals

/// `roost local`: an embedded cluster that runs until SIGINT or SIGTERM.
struct Local: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run an embedded cluster (a master and local agents) until interrupted.",
        discussion: "Frameworks in this process connect to it; on SIGINT/SIGTERM every task is killed, sandboxes are kept and nothing is left running."
    )

    @OptionGroup var options: ClusterOptions

    func run() async throws {
        let logger = options.bootstrapLogging()
        let cluster = LocalCluster(configuration: try options.configuration(logger: logger))
        try await cluster.run { running in
            var agents: [String] = []
            for agent in running.agents {
                agents.append("\(await agent.agentID?.value ?? "?") \(await agent.freeResources)")
            }
            say("roost local: master \(running.master.info.id) (policy \(options.policy.rawValue)), \(agents.count) agent(s):")
            for line in agents { say("  \(line)") }
            say("sandboxes in \(running.workDirectory)")
            say("isolation: \(running.isolationSummary)")
            say("press Ctrl-C to stop")
            let signals = await UnixSignalsSequence(trapping: .sigint, .sigterm)
            for await signal in signals {
                say("\(signal): stopping; killing every task")
                break
            }
        }
        say("stopped; nothing left running")
    }
}
